//! Every read from and write to caller memory goes through these helpers. Each is `unsafe`
//! with its contract under `# Safety`; NULL is checked here, before any slice is formed.

use craton_token::templates;
use craton_token::types::AttrType;
use craton_token::{Error, Result};
use pkcs11_sys::{CK_ATTRIBUTE, CK_ULONG};

/// Largest attribute value accepted from a template.
pub const MAX_VALUE_LEN: usize = 64 << 20;

/// Borrow `len` elements at `p`. NULL with length 0 is the empty slice; NULL otherwise, or a
/// length no object could have, is `CKR_ARGUMENTS_BAD`.
///
/// # Safety
/// When `p` is not NULL it must point to `len` initialized `T`s that stay valid and unchanged
/// for `'a`.
pub unsafe fn slice<'a, T>(p: *const T, len: CK_ULONG) -> Result<&'a [T]> {
    let len = usize::try_from(len).map_err(|_| Error::ArgumentsBad)?;
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Error::ArgumentsBad) };
    }
    if len.checked_mul(size_of::<T>()).is_none_or(|n| n > isize::MAX as usize) || !p.is_aligned() {
        return Err(Error::ArgumentsBad);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` valid elements for 'a.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Like [`slice()`], but NULL is always `CKR_ARGUMENTS_BAD` (PINs, labels).
///
/// # Safety
/// As for [`slice()`].
pub unsafe fn required_slice<'a, T>(p: *const T, len: CK_ULONG) -> Result<&'a [T]> {
    if p.is_null() {
        return Err(Error::ArgumentsBad);
    }
    // SAFETY: forwarded contract.
    unsafe { slice(p, len) }
}

/// Write `v` to `p`; NULL is `CKR_ARGUMENTS_BAD`.
///
/// # Safety
/// When `p` is not NULL it must be valid for a write of `T`.
pub unsafe fn write<T>(p: *mut T, v: T) -> Result<()> {
    if p.is_null() {
        return Err(Error::ArgumentsBad);
    }
    // SAFETY: non-NULL and valid for writes per the contract.
    unsafe { p.write(v) };
    Ok(())
}

/// Read `*p`; NULL is `CKR_ARGUMENTS_BAD`.
///
/// # Safety
/// When `p` is not NULL it must be valid for a read of `T`.
pub unsafe fn read<T: Copy>(p: *const T) -> Result<T> {
    if p.is_null() {
        return Err(Error::ArgumentsBad);
    }
    // SAFETY: non-NULL and valid for reads per the contract.
    Ok(unsafe { p.read() })
}

/// The two-call convention for a list of `T`: NULL `out` reports the count; a short buffer
/// reports the count and `CKR_BUFFER_TOO_SMALL`; otherwise copy and report the count.
///
/// # Safety
/// `count` must be valid for reads and writes of a `CK_ULONG`; when `out` is not NULL it must
/// be valid for writes of `*count` elements.
pub unsafe fn write_list<T: Copy>(out: *mut T, count: *mut CK_ULONG, items: &[T]) -> Result<()> {
    // SAFETY: forwarded contract for `count`.
    let capacity = unsafe { read(count) }?;
    let n = items.len() as CK_ULONG;
    // SAFETY: as above.
    unsafe { write(count, n) }?;
    if out.is_null() {
        return Ok(());
    }
    if capacity < n {
        return Err(Error::BufferTooSmall);
    }
    // SAFETY: `out` holds at least `capacity >= n` elements per the contract, and cannot
    // overlap our own `items`.
    unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), out, items.len()) };
    Ok(())
}

/// Borrow `len` elements at `p` mutably; NULL rules as for [`slice()`].
///
/// # Safety
/// When `p` is not NULL it must point to `len` initialized `T`s, valid for reads and writes
/// and not otherwise accessed for `'a`.
pub unsafe fn slice_mut<'a, T>(p: *mut T, len: CK_ULONG) -> Result<&'a mut [T]> {
    // SAFETY: forwarded contract (validates NULL and length).
    let checked = unsafe { slice(p as *const T, len) }?;
    if checked.is_empty() {
        return Ok(&mut []);
    }
    // SAFETY: as above, and the caller grants exclusive access.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, checked.len()) })
}

/// Copy `data` to `dst`.
///
/// # Safety
/// `dst` must be valid for writes of `data.len()` bytes and not overlap `data`.
pub unsafe fn copy_out(dst: *mut u8, data: &[u8]) {
    if !data.is_empty() {
        // SAFETY: forwarded contract.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
    }
}

/// Copy a caller's template: each value is copied out once, so nothing later re-reads C memory.
///
/// # Safety
/// `p` must satisfy [`slice()`] for `count` attributes, and each attribute's `pValue` must be
/// NULL or valid for `ulValueLen` bytes.
pub unsafe fn read_template(
    p: *const CK_ATTRIBUTE,
    count: CK_ULONG,
) -> Result<Vec<(AttrType, Vec<u8>)>> {
    // SAFETY: forwarded contract.
    unsafe { read_list(p, count, true) }
}

/// [`read_template`]'s work; `outer` allows template attributes (CKA_WRAP_TEMPLATE and the
/// like), whose value is a nested `CK_ATTRIBUTE` array copied here once, and stored in the
/// token's encoding. A template inside a template is refused.
///
/// # Safety
/// As for [`read_template`], and nested arrays likewise.
unsafe fn read_list(
    p: *const CK_ATTRIBUTE,
    count: CK_ULONG,
    outer: bool,
) -> Result<Vec<(AttrType, Vec<u8>)>> {
    // SAFETY: forwarded contract.
    let attrs = unsafe { slice(p, count) }?;
    let mut out = Vec::with_capacity(attrs.len());
    for a in attrs {
        let t = AttrType(a.type_);
        if usize::try_from(a.ulValueLen).is_ok_and(|n| n > MAX_VALUE_LEN) {
            return Err(Error::AttributeValueInvalid);
        }
        if templates::is_template(t) {
            let size = size_of::<CK_ATTRIBUTE>() as CK_ULONG;
            if !outer || a.ulValueLen % size != 0 {
                return Err(Error::AttributeValueInvalid);
            }
            let inner = a.pValue as *const CK_ATTRIBUTE;
            // SAFETY: the caller guarantees pValue covers ulValueLen bytes, which hold
            // ulValueLen / sizeof(CK_ATTRIBUTE) attributes; `slice` checks NULL and alignment.
            let list = unsafe { read_list(inner, a.ulValueLen / size, false) }
                .map_err(|_| Error::AttributeValueInvalid)?;
            out.push((t, templates::encode(&list)?));
            continue;
        }
        // SAFETY: the caller guarantees pValue covers ulValueLen bytes when not NULL.
        let value = unsafe { slice(a.pValue as *const u8, a.ulValueLen) }?;
        out.push((t, value.to_vec()));
    }
    Ok(out)
}

/// Copy `src` into a blank-padded fixed field (CK_INFO-style strings).
pub fn pad<const N: usize>(src: &[u8]) -> [u8; N] {
    let mut out = [b' '; N];
    let n = src.len().min(N);
    out[..n].copy_from_slice(&src[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_slices() {
        // SAFETY: NULL pointers are never dereferenced by `slice`.
        unsafe {
            assert_eq!(slice::<u8>(std::ptr::null(), 0).unwrap().len(), 0);
            assert_eq!(slice::<u8>(std::ptr::null(), 1), Err(Error::ArgumentsBad));
            assert_eq!(required_slice::<u8>(std::ptr::null(), 0), Err(Error::ArgumentsBad));
        }
    }

    #[test]
    fn absurd_length() {
        let b = [0u64; 1];
        // SAFETY: the length check fails before any slice is formed.
        let r = unsafe { slice(b.as_ptr(), CK_ULONG::MAX) };
        assert_eq!(r, Err(Error::ArgumentsBad));
    }

    #[test]
    fn two_call_list() {
        let items = [1u64, 2, 3];
        let mut count: CK_ULONG = 0;
        // SAFETY: valid local pointers.
        unsafe {
            write_list(std::ptr::null_mut(), &mut count, &items).unwrap();
            assert_eq!(count, 3);
            let mut small = [0u64; 2];
            count = 2;
            assert_eq!(
                write_list(small.as_mut_ptr(), &mut count, &items),
                Err(Error::BufferTooSmall)
            );
            assert_eq!(count, 3);
            let mut big = [0u64; 4];
            count = 4;
            write_list(big.as_mut_ptr(), &mut count, &items).unwrap();
            assert_eq!((count, big), (3, [1, 2, 3, 0]));
        }
    }

    #[test]
    fn padding() {
        assert_eq!(&pad::<4>(b"ab"), b"ab  ");
        assert_eq!(&pad::<2>(b"abc"), b"ab");
    }
}

//! Object management: create, copy, destroy, attributes, search.
//!
//! Store writes happen without the token's cache lock held; the cache is updated from the
//! committed row afterwards, so a failed write changes nothing anywhere.

use std::collections::VecDeque;
use std::sync::Arc;

use craton_crypto::aead;

use crate::attrs::Attributes;
use crate::cache::{Place, TokenCache, object_aad};
use crate::error::{Error, Result};
use crate::keys::KeyObj;
use crate::module::Module;
use crate::pin::MasterKey;
use crate::policy::{self, Actor};
use crate::store::Role;
use crate::types::{AttrType, ObjectHandle, SessionHandle, SlotId};

/// One entry of a C_GetAttributeValue answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// The value.
    Value(Vec<u8>),
    /// The object has no such attribute.
    Invalid,
    /// The value may not be revealed.
    Sensitive,
}

/// The caller's view of its session and token, taken once per call.
pub(crate) struct Ctx {
    pub(crate) slot: SlotId,
    rw: bool,
    pub(crate) actor: Actor,
    user: bool,
    pub(crate) token: Arc<parking_lot::RwLock<TokenCache>>,
}

fn unique_id() -> Result<Vec<u8>> {
    let bytes: [u8; 16] = craton_crypto::rng::array()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes())
}

impl Module {
    pub(crate) fn ctx(&self, h: SessionHandle) -> Result<Ctx> {
        let (slot, rw) = {
            let s = self.session(h)?;
            let s = s.lock();
            (s.slot, s.rw)
        };
        let token = self.token(slot)?;
        let (actor, user) = {
            let c = token.read();
            let role = c.login.as_ref().map(|l| l.role);
            (Actor { is_so: role == Some(Role::So) }, role == Some(Role::User))
        };
        Ok(Ctx { slot, rw, actor, user, token })
    }

    /// The visible object `o` in the caller's token.
    fn visible(&self, ctx: &Ctx, o: ObjectHandle) -> Result<(Place, bool, Arc<Attributes>)> {
        if TokenCache::slot_of(o) != Some(ctx.slot) {
            return Err(Error::ObjectHandleInvalid);
        }
        let cache = ctx.token.read();
        let e = cache.visible(o).ok_or(Error::ObjectHandleInvalid)?;
        let attrs = e.attrs.clone().ok_or(Error::ObjectHandleInvalid)?;
        Ok((e.place, e.private, attrs))
    }

    /// May this caller hold an object with these attributes?
    pub(crate) fn check_writable(ctx: &Ctx, attrs: &Attributes) -> Result<(bool, bool)> {
        let token_obj = attrs.get_bool(AttrType::TOKEN).unwrap_or(false);
        let private = attrs.get_bool(AttrType::PRIVATE).unwrap_or(true);
        if token_obj && !ctx.rw {
            return Err(Error::SessionReadOnly);
        }
        if private && !ctx.user {
            return Err(Error::UserNotLoggedIn);
        }
        Ok((token_obj, private))
    }

    fn master_key(ctx: &Ctx) -> Result<(MasterKey, Vec<u8>)> {
        let c = ctx.token.read();
        let l = c.login.as_ref().ok_or(Error::UserNotLoggedIn)?;
        Ok((zeroize::Zeroizing::new(*l.master_key()?), c.uid.clone()))
    }

    /// Split for storage: a private object is sealed whole (its clear encoding is zeroized
    /// once sealed).
    fn encode_for_store(
        private: bool,
        attrs: &Attributes,
    ) -> (Vec<u8>, Option<zeroize::Zeroizing<Vec<u8>>>) {
        if private {
            (Vec::new(), Some(zeroize::Zeroizing::new(attrs.encode())))
        } else {
            (attrs.encode(), None)
        }
    }

    pub(crate) fn persist_new(
        &self,
        ctx: &Ctx,
        h: SessionHandle,
        mut attrs: Attributes,
        key: Option<KeyObj>,
    ) -> Result<ObjectHandle> {
        attrs.set(AttrType::UNIQUE_ID, unique_id()?);
        let handle = self.store_new(ctx, h, attrs)?;
        if let Some(k) = key {
            // Built (and checked) on the way in: the first operation need not build it again.
            ctx.token.read().prime_material(handle, k);
        }
        Ok(handle)
    }

    fn store_new(&self, ctx: &Ctx, h: SessionHandle, attrs: Attributes) -> Result<ObjectHandle> {
        let (token_obj, private) = Self::check_writable(ctx, &attrs)?;
        if !token_obj {
            return ctx.token.write().add_session_object(h, private, attrs);
        }
        // Secret key material is sealed at rest even in an object marked CKA_PRIVATE=false
        // (such an object becomes visible only after login).
        let private = private || holds_secret(&attrs);
        let (public, secret) = Self::encode_for_store(private, &attrs);
        let key = if secret.is_some() { Some(Self::master_key(ctx)?) } else { None };
        let row = self.store.insert_object(ctx.slot, private, &public, |id, version| {
            seal(key.as_ref(), id, version, secret.as_deref().map(Vec::as_slice))
        })?;
        ctx.token.write().upsert_row(row)
    }

    /// C_CreateObject.
    pub fn create_object(
        &self,
        h: SessionHandle,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<ObjectHandle> {
        let ctx = self.ctx(h)?;
        let mut attrs = policy::create(template, ctx.actor)?;
        let key = crate::keys::complete(&mut attrs)?;
        self.persist_new(&ctx, h, attrs, key)
    }

    /// C_CopyObject.
    pub fn copy_object(
        &self,
        h: SessionHandle,
        o: ObjectHandle,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<ObjectHandle> {
        let ctx = self.ctx(h)?;
        let (_, _, src) = self.visible(&ctx, o)?;
        if src.get_bool(AttrType::COPYABLE) == Some(false) {
            return Err(Error::ActionProhibited);
        }
        let attrs = policy::copy(&src, template, ctx.actor)?;
        self.persist_new(&ctx, h, attrs, None)
    }

    /// C_DestroyObject.
    pub fn destroy_object(&self, h: SessionHandle, o: ObjectHandle) -> Result<()> {
        let ctx = self.ctx(h)?;
        let (place, _, attrs) = self.visible(&ctx, o)?;
        if attrs.get_bool(AttrType::DESTROYABLE) == Some(false) {
            return Err(Error::ActionProhibited);
        }
        if let Place::Token { db_id, .. } = place {
            if !ctx.rw {
                return Err(Error::SessionReadOnly);
            }
            if !self.store.delete_object(ctx.slot, db_id)? {
                ctx.token.write().remove(o);
                return Err(Error::ObjectHandleInvalid);
            }
        }
        ctx.token.write().remove(o);
        // No session keeps the destroyed key's material for its next *Init.
        for s in self.sessions.all() {
            let mut s = s.lock();
            if s.last_key.as_ref().is_some_and(|k| k.handle == o) {
                s.last_key = None;
            }
        }
        Ok(())
    }

    /// C_GetAttributeValue: one answer per requested type.
    pub fn get_attributes(
        &self,
        h: SessionHandle,
        o: ObjectHandle,
        types: &[AttrType],
    ) -> Result<Vec<AttrValue>> {
        let ctx = self.ctx(h)?;
        let (_, _, attrs) = self.visible(&ctx, o)?;
        let policy = policy::ClassPolicy::of(&attrs).ok();
        Ok(types
            .iter()
            .map(|t| match attrs.get(*t) {
                Some(_) if policy.is_some_and(|p| !p.readable(&attrs, *t)) => AttrValue::Sensitive,
                Some(v) => AttrValue::Value(v.to_vec()),
                None => AttrValue::Invalid,
            })
            .collect())
    }

    /// C_SetAttributeValue.
    pub fn set_attributes(
        &self,
        h: SessionHandle,
        o: ObjectHandle,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<()> {
        let ctx = self.ctx(h)?;
        let (place, private, attrs) = self.visible(&ctx, o)?;
        if attrs.get_bool(AttrType::MODIFIABLE) == Some(false) {
            return Err(Error::ActionProhibited);
        }
        let new = policy::set(&attrs, template, ctx.actor)?;
        match place {
            Place::Session(_) => ctx.token.write().replace_session_attrs(o, new),
            Place::Token { db_id, .. } => {
                if !ctx.rw {
                    return Err(Error::SessionReadOnly);
                }
                let (public, secret) = Self::encode_for_store(private, &new);
                let key = if secret.is_some() { Some(Self::master_key(&ctx)?) } else { None };
                let row = self
                    .store
                    .update_object(ctx.slot, db_id, &public, |version| {
                        seal(key.as_ref(), db_id, version, secret.as_deref().map(Vec::as_slice))
                    })?
                    .ok_or(Error::ObjectHandleInvalid)?;
                ctx.token.write().upsert_row(row)?;
            }
        }
        Ok(())
    }

    /// C_GetObjectSize: the size of the object's encoding (an approximation, as allowed).
    pub fn object_size(&self, h: SessionHandle, o: ObjectHandle) -> Result<u64> {
        let ctx = self.ctx(h)?;
        let (_, _, attrs) = self.visible(&ctx, o)?;
        Ok(attrs.encode().len() as u64)
    }

    /// C_FindObjectsInit.
    pub fn find_init(&self, h: SessionHandle, template: &[(AttrType, Vec<u8>)]) -> Result<()> {
        let ctx = self.ctx(h)?;
        if self.session(h)?.lock().find.is_some() {
            return Err(Error::OperationActive);
        }
        let mut wanted = Attributes::new();
        let mut contradictory = false;
        for (t, v) in template {
            match wanted.get(*t) {
                Some(prev) if prev != v.as_slice() => contradictory = true,
                _ => wanted.set(*t, v.clone()),
            }
        }
        let found = if contradictory { Vec::new() } else { ctx.token.read().find(&wanted) };
        self.session(h)?.lock().find = Some(VecDeque::from(found));
        Ok(())
    }

    /// C_FindObjects: up to `max` further handles.
    pub fn find_next(&self, h: SessionHandle, max: usize) -> Result<Vec<ObjectHandle>> {
        let s = self.session(h)?;
        let mut s = s.lock();
        let q = s.find.as_mut().ok_or(Error::OperationNotInitialized)?;
        let n = max.min(q.len());
        Ok(q.drain(..n).collect())
    }

    /// C_FindObjectsFinal.
    pub fn find_final(&self, h: SessionHandle) -> Result<()> {
        let s = self.session(h)?;
        let mut s = s.lock();
        s.find.take().map(|_| ()).ok_or(Error::OperationNotInitialized)
    }
}

fn seal(
    key: Option<&(MasterKey, Vec<u8>)>,
    id: i64,
    version: i64,
    secret: Option<&[u8]>,
) -> Result<Option<Vec<u8>>> {
    match (secret, key) {
        (None, _) => Ok(None),
        (Some(plain), Some((mk, uid))) => {
            Ok(Some(aead::seal(mk, &object_aad(uid, id, version), plain)?))
        }
        (Some(_), None) => Err(Error::UserNotLoggedIn),
    }
}

/// Whether the attributes hold secret key material (private and secret keys).
pub(crate) fn holds_secret(attrs: &Attributes) -> bool {
    matches!(
        attrs.get_ulong(AttrType::CLASS).map(crate::types::ObjectClass),
        Some(crate::types::ObjectClass::PRIVATE_KEY | crate::types::ObjectClass::SECRET_KEY)
    )
}

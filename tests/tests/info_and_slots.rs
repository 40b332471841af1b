//! Library, slot and token information; slot numbering rules of the contract.

use craton_blackbox::{TOKEN_LABEL, TestToken, USER_PIN, expect_rv, padded, pin};
use cryptoki::context::{CInitializeArgs, CInitializeFlags};
use cryptoki::error::RvError;
use cryptoki::session::UserType;
use cryptoki::slot::Limit;
use pkcs11_sys::*;

/// PKCS#11 strings are blank padded, never NUL terminated: printable ASCII
/// (all our strings are ASCII) with no NUL, and not empty.
#[track_caller]
fn assert_blank_padded(field: &[u8], what: &str) {
    assert!(
        field.iter().all(|b| (0x20..=0x7e).contains(b)),
        "{what} is not blank padded printable text: {field:?}"
    );
    assert!(field[0] != b' ', "{what} is empty or starts with a blank");
}

#[test]
fn get_info_is_blank_padded_and_reports_3_0() {
    let t = TestToken::new();
    let (rv, info) = t.raw().get_info();
    assert_eq!(rv, CKR_OK);
    assert_eq!(info.manufacturerID.to_vec(), padded("Craton HSM", 32));
    assert_blank_padded(&info.libraryDescription, "libraryDescription");
    assert_eq!(info.flags, 0, "CK_INFO flags are reserved and must be 0");
    assert_eq!((info.cryptokiVersion.major, info.cryptokiVersion.minor), (3, 0));

    // The same through cryptoki.
    let info = t.ctx().get_library_info().expect("C_GetInfo");
    assert_eq!(info.manufacturer_id(), "Craton HSM");
}

#[test]
fn slot_and_token_info_strings() {
    let t = TestToken::new();
    let slot = t.init_token();
    let raw = t.raw();

    let (rv, si) = raw.get_slot_info(slot.id());
    assert_eq!(rv, CKR_OK);
    assert_blank_padded(&si.slotDescription, "slotDescription");
    assert_blank_padded(&si.manufacturerID, "slot manufacturerID");
    assert_ne!(si.flags & CKF_TOKEN_PRESENT, 0, "soft token is always present");

    let (rv, ti) = raw.get_token_info(slot.id());
    assert_eq!(rv, CKR_OK);
    assert_eq!(ti.label.to_vec(), padded(TOKEN_LABEL, 32));
    assert_eq!(ti.manufacturerID.to_vec(), padded("Craton HSM", 32));
    // The contract's model "Craton soft token" is 17 bytes but the field holds
    // 16: accept any blank padded prefix of it that keeps "Craton soft".
    assert_blank_padded(&ti.model, "model");
    let model = String::from_utf8_lossy(&ti.model).trim_end().to_string();
    assert!(
        model.starts_with("Craton soft") && "Craton soft token".starts_with(&model),
        "model {model:?}"
    );
    assert!(
        ti.serialNumber.iter().all(u8::is_ascii_hexdigit),
        "serial must be 16 hex chars: {:?}",
        String::from_utf8_lossy(&ti.serialNumber)
    );
    assert_ne!(ti.flags & CKF_CLOCK_ON_TOKEN, 0, "contract: CKF_CLOCK_ON_TOKEN");
    // utcTime: YYYYMMDDhhmmss followed by two reserved '0' characters.
    assert!(ti.utcTime[..14].iter().all(u8::is_ascii_digit), "utcTime {:?}", ti.utcTime);
    assert_eq!(&ti.utcTime[14..], b"00", "utcTime reserved characters");
}

#[test]
fn slot_ids_stable_and_a_free_slot_appears() {
    let mut t = TestToken::new();
    // Fresh store: one uninitialized (but present) token in slot 0.
    assert_eq!(t.slot_ids(), [0]);
    let with_token: Vec<u64> =
        t.ctx().get_slots_with_token().unwrap().iter().map(|s| s.id()).collect();
    assert_eq!(with_token, [0]);
    assert!(!t.token_info(TestToken::slot(0)).token_initialized());

    t.init_with(TestToken::slot(0), "first", "so-pin-0", Some(USER_PIN));
    assert_eq!(t.slot_ids(), [0, 1], "a new free slot appears after C_InitToken");
    assert!(t.token_info(TestToken::slot(0)).token_initialized());
    assert!(!t.token_info(TestToken::slot(1)).token_initialized());

    t.init_with(TestToken::slot(1), "second", "so-pin-1", None);
    assert_eq!(t.slot_ids(), [0, 1, 2]);
    let serial = |t: &TestToken, id| t.token_info(TestToken::slot(id)).serial_number().to_string();
    let (s0, s1) = (serial(&t, 0), serial(&t, 1));
    assert_ne!(s0, s1, "tokens need distinct serial numbers");

    // Restart: same IDs, same tokens behind them.
    t.reload();
    assert_eq!(t.slot_ids(), [0, 1, 2]);
    assert_eq!(t.token_info(TestToken::slot(0)).label(), "first");
    assert_eq!(t.token_info(TestToken::slot(1)).label(), "second");
    assert_eq!((serial(&t, 0), serial(&t, 1)), (s0, s1), "serial numbers are stable");

    // Re-initializing a token keeps its slot and adds no slot.
    t.init_with(TestToken::slot(0), "first-again", "so-pin-0", None);
    assert_eq!(t.slot_ids(), [0, 1, 2]);
    assert_eq!(t.token_info(TestToken::slot(0)).label(), "first-again");

    expect_rv(t.ctx().get_slot_info(TestToken::slot(3)), RvError::SlotIdInvalid);
}

#[test]
fn pinned_layout_has_exactly_n_slots() {
    let mut t = TestToken::builder().slots(2).build();
    assert_eq!(t.slot_ids(), [0, 1]);
    t.init_with(TestToken::slot(0), "a", "so-pin-a", None);
    assert_eq!(t.slot_ids(), [0, 1], "pinned layout: no extra slot");
    t.init_with(TestToken::slot(1), "b", "so-pin-b", None);
    assert_eq!(t.slot_ids(), [0, 1], "pinned layout: no free slot is added");
    t.reload();
    assert_eq!(t.slot_ids(), [0, 1]);
    assert!(t.token_info(TestToken::slot(1)).token_initialized());
    expect_rv(t.ctx().get_slot_info(TestToken::slot(2)), RvError::SlotIdInvalid);
}

#[test]
fn token_flags_follow_initialization() {
    let t = TestToken::new();
    let slot = TestToken::slot(0);
    let info = t.token_info(slot);
    assert!(info.rng());
    assert!(!info.token_initialized());
    assert!(!info.user_pin_initialized());

    t.init_with(slot, TOKEN_LABEL, "so-pin-x", None);
    let info = t.token_info(slot);
    assert!(info.token_initialized());
    assert!(!info.user_pin_initialized(), "C_InitToken does not set a user PIN");
    assert!(info.login_required());
    assert!(info.rng());
    assert!(!info.write_protected());

    let s = t.rw(slot);
    s.login(UserType::So, Some(&pin("so-pin-x"))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    let info = t.token_info(slot);
    assert!(info.user_pin_initialized());
    assert!(info.token_initialized() && info.login_required() && info.rng());
    for (set, name) in [
        (info.user_pin_count_low(), "USER_PIN_COUNT_LOW"),
        (info.user_pin_final_try(), "USER_PIN_FINAL_TRY"),
        (info.user_pin_locked(), "USER_PIN_LOCKED"),
        (info.so_pin_count_low(), "SO_PIN_COUNT_LOW"),
        (info.so_pin_final_try(), "SO_PIN_FINAL_TRY"),
        (info.so_pin_locked(), "SO_PIN_LOCKED"),
    ] {
        assert!(!set, "{name} set without any failed login");
    }
}

#[test]
fn session_counts() {
    let t = TestToken::builder().max_sessions(8).build();
    let slot = t.init_token();
    let info = t.token_info(slot);
    assert!(matches!(info.max_session_count(), Limit::Max(8)), "{:?}", info.max_session_count());
    assert_eq!((info.session_count(), info.rw_session_count()), (Some(0), Some(0)));

    let ro1 = t.ro(slot);
    let _ro2 = t.ro(slot);
    let rw = t.rw(slot);
    let info = t.token_info(slot);
    assert_eq!((info.session_count(), info.rw_session_count()), (Some(3), Some(1)));

    rw.close().unwrap();
    ro1.close().unwrap();
    let info = t.token_info(slot);
    assert_eq!((info.session_count(), info.rw_session_count()), (Some(1), Some(0)));
}

#[test]
fn interface_list() {
    // Interfaces are available before C_Initialize.
    let t = TestToken::builder().build_unloaded();
    let raw = t.raw();
    let (rv, list) = raw.interface_list(None);
    assert_eq!(rv, CKR_OK);
    assert!(!list.is_empty(), "at least one interface");
    assert!(list.iter().all(|i| i.name == "PKCS 11"), "{list:?}");
    assert!(list.iter().any(|i| i.version == (3, 0)), "a PKCS 11 3.0 interface: {list:?}");

    // Too small a buffer: CKR_BUFFER_TOO_SMALL.
    let (rv, _) = raw.interface_list(Some(list.len() - 1));
    assert_eq!(rv, CKR_BUFFER_TOO_SMALL);

    let (rv, default) = raw.get_interface(None, None);
    assert_eq!(rv, CKR_OK);
    assert_eq!(default.unwrap().name, "PKCS 11");
    let (rv, v30) = raw.get_interface(Some(c"PKCS 11"), Some((3, 0)));
    assert_eq!(rv, CKR_OK);
    assert_eq!(v30.unwrap().version, (3, 0));
    let (rv, _) = raw.get_interface(Some(c"No Such Interface"), None);
    assert_ne!(rv, CKR_OK, "unknown interface name must not succeed");
}

#[test]
fn initialize_and_finalize_state() {
    let mut t = TestToken::new();
    let args = CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK);
    expect_rv(t.ctx().initialize(args), RvError::CryptokiAlreadyInitialized);
    let ctx = t.ctx().clone();
    t.finalize();
    expect_rv(ctx.get_all_slots(), RvError::CryptokiNotInitialized);
    // A finalized module can be initialized again.
    ctx.initialize(args).expect("C_Initialize after C_Finalize");
    assert_eq!(ctx.get_all_slots().unwrap().len(), 1);
    ctx.finalize().unwrap();
}

//! Session and login state machine (PKCS#11 3.0 base spec, sections 5.6/5.7).

use craton_blackbox::{SO_PIN, TestToken, USER_PIN, expect_rv, pin};
use cryptoki::error::RvError;
use cryptoki::session::{SessionState, UserType};
use pkcs11_sys::*;

#[test]
fn session_info_reports_slot_flags_and_state() {
    let t = TestToken::new();
    let slot = t.init_token();
    let ro = t.ro(slot);
    let rw = t.rw(slot);
    let (ri, wi) = (ro.get_session_info().unwrap(), rw.get_session_info().unwrap());
    assert_eq!((ri.slot_id(), wi.slot_id()), (slot, slot));
    assert!(!ri.read_write() && wi.read_write());
    assert_eq!(ri.session_state(), SessionState::RoPublic);
    assert_eq!(wi.session_state(), SessionState::RwPublic);

    rw.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    assert_eq!(ro.get_session_info().unwrap().session_state(), SessionState::RoUser);
    assert_eq!(rw.get_session_info().unwrap().session_state(), SessionState::RwUser);
    rw.logout().unwrap();
    drop(ro);

    rw.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    assert_eq!(rw.get_session_info().unwrap().session_state(), SessionState::RwSecurityOfficer);
}

#[test]
fn serial_flag_is_required() {
    let t = TestToken::new();
    let slot = t.init_token();
    let (rv, _) = t.raw().open_session(slot.id(), CKF_RW_SESSION);
    assert_eq!(rv, CKR_SESSION_PARALLEL_NOT_SUPPORTED);
}

#[test]
fn so_login_refused_while_a_read_only_session_exists() {
    let t = TestToken::new();
    let slot = t.init_token();
    let _ro = t.ro(slot);
    let rw = t.rw(slot);
    expect_rv(rw.login(UserType::So, Some(&pin(SO_PIN))), RvError::SessionReadOnlyExists);
}

#[test]
fn read_only_session_refused_while_so_logged_in() {
    let t = TestToken::new();
    let slot = t.init_token();
    let _so = t.so_rw(slot);
    expect_rv(t.ctx().open_ro_session(slot), RvError::SessionReadWriteSoExists);
    // R/W sessions are still fine and share the SO login.
    let rw = t.rw(slot);
    assert_eq!(rw.get_session_info().unwrap().session_state(), SessionState::RwSecurityOfficer);
}

#[test]
fn other_user_type_already_logged_in() {
    let t = TestToken::new();
    let slot = t.init_token();
    let (a, b) = (t.rw(slot), t.rw(slot));
    a.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    expect_rv(b.login(UserType::User, Some(&pin(USER_PIN))), RvError::UserAnotherAlreadyLoggedIn);
    a.logout().unwrap();
    a.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    expect_rv(b.login(UserType::So, Some(&pin(SO_PIN))), RvError::UserAnotherAlreadyLoggedIn);
}

#[test]
fn same_user_already_logged_in() {
    let t = TestToken::new();
    let slot = t.init_token();
    let (a, b) = (t.rw(slot), t.ro(slot));
    a.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    expect_rv(a.login(UserType::User, Some(&pin(USER_PIN))), RvError::UserAlreadyLoggedIn);
    expect_rv(b.login(UserType::User, Some(&pin(USER_PIN))), RvError::UserAlreadyLoggedIn);
}

#[test]
fn user_pin_not_initialized() {
    let t = TestToken::new();
    let slot = t.init_token_so_only();
    let s = t.rw(slot);
    expect_rv(s.login(UserType::User, Some(&pin(USER_PIN))), RvError::UserPinNotInitialized);
}

#[test]
fn invalid_user_type() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.rw(slot);
    let bogus = UserType::VendorExtension(0x1234);
    expect_rv(s.login(bogus, Some(&pin(USER_PIN))), RvError::UserTypeInvalid);
}

#[test]
fn login_is_shared_by_all_sessions_and_logout_ends_it() {
    let t = TestToken::new();
    let slot = t.init_token();
    let before = t.ro(slot);
    let a = t.rw(slot);
    a.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let after = t.ro(slot);
    for s in [&before, &after] {
        assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RoUser);
    }
    // Logging out from any session logs out the application.
    after.logout().unwrap();
    assert_eq!(a.get_session_info().unwrap().session_state(), SessionState::RwPublic);
    assert_eq!(before.get_session_info().unwrap().session_state(), SessionState::RoPublic);
    expect_rv(a.logout(), RvError::UserNotLoggedIn);
}

#[test]
fn closing_the_last_session_logs_out() {
    let t = TestToken::new();
    let slot = t.init_token();
    let a = t.user_rw(slot);
    a.close().unwrap();
    let b = t.rw(slot);
    assert_eq!(b.get_session_info().unwrap().session_state(), SessionState::RwPublic);
}

#[test]
fn max_sessions_limits_open_sessions() {
    let t = TestToken::builder().max_sessions(4).build();
    let slot = t.init_token();
    let mut open = vec![t.ro(slot), t.rw(slot), t.ro(slot), t.rw(slot)];
    expect_rv(t.ctx().open_ro_session(slot), RvError::SessionCount);
    expect_rv(t.ctx().open_rw_session(slot), RvError::SessionCount);
    // Closing one frees its place.
    open.pop().unwrap().close().unwrap();
    open.push(t.rw(slot));
}

#[test]
fn close_session_twice_is_invalid() {
    let t = TestToken::new();
    let slot = t.init_token();
    let (rv, handle) = t.raw().open_session(slot.id(), CKF_SERIAL_SESSION);
    assert_eq!(rv, CKR_OK);
    assert_eq!(t.raw().close_session(handle), CKR_OK);
    assert_eq!(t.raw().close_session(handle), CKR_SESSION_HANDLE_INVALID);
}

#[test]
fn close_all_sessions() {
    let t = TestToken::new();
    let slot = t.init_token();
    let sessions = [t.user_rw(slot), t.ro(slot), t.rw(slot)];
    assert_eq!(t.raw().close_all_sessions(slot.id()), CKR_OK);
    for s in &sessions {
        expect_rv(s.get_session_info(), RvError::SessionHandleInvalid);
    }
    assert_eq!(t.token_info(slot).session_count(), Some(0));
    // All sessions closed: the user is logged out.
    let s = t.rw(slot);
    assert_eq!(s.get_session_info().unwrap().session_state(), SessionState::RwPublic);
}

#[test]
fn init_token_refused_with_open_sessions() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    expect_rv(t.ctx().init_token(slot, &pin(SO_PIN), "again"), RvError::SessionExists);
    drop(s);
    t.ctx().init_token(slot, &pin(SO_PIN), "again").expect("no session open any more");
}

#[test]
fn invalid_slot() {
    let t = TestToken::new();
    expect_rv(t.ctx().open_rw_session(TestToken::slot(42)), RvError::SlotIdInvalid);
}

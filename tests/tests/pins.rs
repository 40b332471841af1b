//! PIN checks, back-off, lockout and PIN management.

use craton_blackbox::{SO_PIN, TestToken, USER_PIN, expect_rv, pin, rv_of};
use cryptoki::error::RvError;
use cryptoki::session::UserType;
use cryptoki::slot::{Slot, TokenInfo};
use std::time::{Duration, Instant};

const WRONG: &str = "wrong-pin-0";

/// (COUNT_LOW, FINAL_TRY, LOCKED) for the user PIN.
fn user_flags(info: &TokenInfo) -> (bool, bool, bool) {
    (info.user_pin_count_low(), info.user_pin_final_try(), info.user_pin_locked())
}

fn so_flags(info: &TokenInfo) -> (bool, bool, bool) {
    (info.so_pin_count_low(), info.so_pin_final_try(), info.so_pin_locked())
}

/// One failed user login with WRONG; returns the error code.
fn fail_user_login(t: &TestToken, slot: Slot) -> RvError {
    let s = t.ro(slot);
    rv_of(s.login(UserType::User, Some(&pin(WRONG))))
}

#[test]
fn wrong_pin_is_incorrect_and_right_pin_resets_the_count() {
    let t = TestToken::new();
    let slot = t.init_token();
    assert_eq!(fail_user_login(&t, slot), RvError::PinIncorrect);
    let (low, _, locked) = user_flags(&t.token_info(slot));
    assert!(low && !locked, "one failure sets USER_PIN_COUNT_LOW");

    let s = t.user_rw(slot);
    assert_eq!(user_flags(&t.token_info(slot)), (false, false, false), "success resets");
    s.logout().unwrap();
}

#[test]
fn failed_logins_back_off() {
    // backoff_base_ms = 200: the 2nd attempt waits until 200 ms after the 1st
    // failure, the 3rd until 400 ms after the 2nd (doubling).
    let t = TestToken::builder().backoff(200, 5000).build();
    let slot = t.init_token();
    let s = t.ro(slot);
    let attempt = || {
        let start = Instant::now();
        let rv = rv_of(s.login(UserType::User, Some(&pin(WRONG))));
        assert_eq!(rv, RvError::PinIncorrect);
        start.elapsed()
    };
    // The module counts the back-off from the moment it records a failure, inside the
    // attempt; what follows it there (the store's commit) takes at most about as long as a
    // whole attempt that does not wait, so that much of the wait may already have passed
    // when the next attempt starts (it did on a loaded CI machine).
    let first = attempt();
    let second = attempt();
    assert!(second + first >= Duration::from_millis(180), "2nd failure after only {second:?}");
    let third = attempt();
    assert!(third + first >= Duration::from_millis(380), "3rd failure after only {third:?}");
}

#[test]
fn lockout_at_max_failed_logins_until_so_init_pin() {
    let t = TestToken::builder().max_failed_logins(3).build();
    let slot = t.init_token();

    assert_eq!(fail_user_login(&t, slot), RvError::PinIncorrect);
    assert_eq!(user_flags(&t.token_info(slot)), (true, false, false), "after 1 of 3");
    assert_eq!(fail_user_login(&t, slot), RvError::PinIncorrect);
    let (_, final_try, locked) = user_flags(&t.token_info(slot));
    assert!(final_try && !locked, "after 2 of 3 the next failure locks: FINAL_TRY");
    let third = fail_user_login(&t, slot);
    assert!(matches!(third, RvError::PinIncorrect | RvError::PinLocked), "3rd: {third:?}");
    assert!(user_flags(&t.token_info(slot)).2, "USER_PIN_LOCKED after 3 failures");

    // Locked: even the right PIN is refused.
    let s = t.rw(slot);
    expect_rv(s.login(UserType::User, Some(&pin(USER_PIN))), RvError::PinLocked);

    // The SO unlocks by setting a new user PIN.
    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.init_pin(&pin("user-new-pin")).unwrap();
    s.logout().unwrap();
    assert_eq!(user_flags(&t.token_info(slot)), (false, false, false));
    s.login(UserType::User, Some(&pin("user-new-pin"))).expect("unlocked by C_InitPIN");
}

#[test]
fn failure_count_survives_module_reload() {
    let mut t = TestToken::builder().max_failed_logins(3).build();
    let slot = t.init_token();
    fail_user_login(&t, slot);
    fail_user_login(&t, slot);
    t.reload();
    assert!(user_flags(&t.token_info(slot)).1, "FINAL_TRY after reload");
    let third = fail_user_login(&t, slot);
    assert!(matches!(third, RvError::PinIncorrect | RvError::PinLocked), "3rd: {third:?}");
    t.reload();
    assert!(user_flags(&t.token_info(slot)).2, "LOCKED after reload");
    let s = t.ro(slot);
    expect_rv(s.login(UserType::User, Some(&pin(USER_PIN))), RvError::PinLocked);
}

#[test]
fn so_pin_lockout() {
    let t = TestToken::builder().max_failed_logins(3).build();
    let slot = t.init_token();
    let s = t.rw(slot);
    let fail_so = || rv_of(s.login(UserType::So, Some(&pin(WRONG))));

    assert_eq!(fail_so(), RvError::PinIncorrect);
    assert_eq!(so_flags(&t.token_info(slot)), (true, false, false));
    assert_eq!(fail_so(), RvError::PinIncorrect);
    assert!(so_flags(&t.token_info(slot)).1, "SO_PIN_FINAL_TRY");
    let third = fail_so();
    assert!(matches!(third, RvError::PinIncorrect | RvError::PinLocked), "3rd: {third:?}");
    assert!(so_flags(&t.token_info(slot)).2, "SO_PIN_LOCKED");
    expect_rv(s.login(UserType::So, Some(&pin(SO_PIN))), RvError::PinLocked);

    // The user PIN has its own counter.
    assert_eq!(user_flags(&t.token_info(slot)), (false, false, false));
    s.login(UserType::User, Some(&pin(USER_PIN))).expect("user login unaffected");
    drop(s);

    // Only the admin tool re-initializes a token whose SO PIN is locked.
    expect_rv(t.ctx().init_token(slot, &pin(SO_PIN), "again"), RvError::PinLocked);
}

#[test]
fn set_pin_changes_user_and_so_pins() {
    let t = TestToken::new();
    let slot = t.init_token();

    let s = t.user_rw(slot);
    expect_rv(s.set_pin(&pin(WRONG), &pin("user-pin-2")), RvError::PinIncorrect);
    s.set_pin(&pin(USER_PIN), &pin("user-pin-2")).expect("C_SetPIN as the user");
    s.logout().unwrap();
    expect_rv(s.login(UserType::User, Some(&pin(USER_PIN))), RvError::PinIncorrect);
    s.login(UserType::User, Some(&pin("user-pin-2"))).expect("new user PIN");
    s.logout().unwrap();

    // Not logged in: C_SetPIN in a R/W public session changes the user PIN.
    s.set_pin(&pin("user-pin-2"), &pin("user-pin-3")).expect("C_SetPIN, public session");
    s.login(UserType::User, Some(&pin("user-pin-3"))).expect("PIN set while logged out");
    s.logout().unwrap();

    s.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    s.set_pin(&pin(SO_PIN), &pin("so-pin-2")).expect("C_SetPIN as the SO");
    s.logout().unwrap();
    expect_rv(s.login(UserType::So, Some(&pin(SO_PIN))), RvError::PinIncorrect);
    s.login(UserType::So, Some(&pin("so-pin-2"))).expect("new SO PIN");
}

#[test]
fn set_pin_needs_a_read_write_session() {
    let t = TestToken::new();
    let slot = t.init_token();
    let s = t.ro(slot);
    expect_rv(s.set_pin(&pin(USER_PIN), &pin("user-pin-2")), RvError::SessionReadOnly);
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    expect_rv(s.set_pin(&pin(USER_PIN), &pin("user-pin-2")), RvError::SessionReadOnly);
}

#[test]
fn pin_length_policy() {
    let t = TestToken::new();
    let slot = t.init_token();
    let info = t.token_info(slot);
    assert_eq!((info.min_pin_length(), info.max_pin_length()), (4, 64));

    let too_long = "x".repeat(65);
    let s = t.so_rw(slot);
    expect_rv(s.init_pin(&pin("123")), RvError::PinLenRange);
    expect_rv(s.init_pin(&pin(&too_long)), RvError::PinLenRange);
    s.init_pin(&pin("1234")).expect("minimum length is allowed");
    expect_rv(s.set_pin(&pin(SO_PIN), &pin("abc")), RvError::PinLenRange);
    expect_rv(s.set_pin(&pin(SO_PIN), &pin(&too_long)), RvError::PinLenRange);
    drop(s);

    let free = t.free_slot();
    expect_rv(t.ctx().init_token(free, &pin("abc"), "short"), RvError::PinLenRange);
    assert!(!t.token_info(free).token_initialized());
}

#[test]
fn configured_pin_length_policy() {
    let t = TestToken::builder().pin_length(6, 8).build();
    let slot = t.free_slot();
    let info = t.token_info(slot);
    assert_eq!((info.min_pin_length(), info.max_pin_length()), (6, 8));
    expect_rv(t.ctx().init_token(slot, &pin("12345"), "x"), RvError::PinLenRange);
    expect_rv(t.ctx().init_token(slot, &pin("123456789"), "x"), RvError::PinLenRange);
    t.init_with(slot, "x", "so-pin-8", None);
    let s = t.rw(slot);
    s.login(UserType::So, Some(&pin("so-pin-8"))).unwrap();
    expect_rv(s.init_pin(&pin("12345")), RvError::PinLenRange);
    s.init_pin(&pin("123456")).unwrap();
}

#[test]
fn reinit_with_right_so_pin_erases_objects() {
    let t = TestToken::new();
    let slot = t.init_token();
    let data = |label: &str, private: bool| {
        use cryptoki::object::{Attribute, ObjectClass};
        vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(private),
            Attribute::Label(label.as_bytes().to_vec()),
        ]
    };
    let s = t.user_rw(slot);
    s.create_object(&data("private", true)).unwrap();
    s.create_object(&data("public", false)).unwrap();
    drop(s);

    // Wrong SO PIN: refused, nothing erased.
    expect_rv(t.ctx().init_token(slot, &pin(WRONG), "erased"), RvError::PinIncorrect);
    let s = t.user_rw(slot);
    assert_eq!(s.find_objects(&[]).unwrap().len(), 2);
    drop(s);

    t.ctx().init_token(slot, &pin(SO_PIN), "erased").expect("re-init with the SO PIN");
    let info = t.token_info(slot);
    assert_eq!(info.label(), "erased");
    assert!(info.token_initialized());
    assert!(!info.user_pin_initialized(), "re-init disables the user until C_InitPIN");
    assert_eq!(t.slot_ids(), [0, 1], "re-init keeps the slot and adds none");

    let s = t.so_rw(slot);
    assert!(s.find_objects(&[]).unwrap().is_empty(), "public objects erased");
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    assert!(s.find_objects(&[]).unwrap().is_empty(), "private objects erased");
}

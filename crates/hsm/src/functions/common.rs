//! Small helpers shared by the entry points.

use craton_token::Error;
use pkcs11_sys::*;

use crate::state;

/// A mechanism `*Init` while no mechanism is offered: session first, then the mechanism.
pub fn no_mechanism(h: CK_SESSION_HANDLE, mechanism: CK_MECHANISM_PTR) -> craton_token::Result<()> {
    state::module()?.check_session(h)?;
    if mechanism.is_null() {
        return Err(Error::ArgumentsBad);
    }
    Err(Error::MechanismInvalid)
}

/// A continuation of an operation that cannot have been started.
pub fn no_operation(h: CK_SESSION_HANDLE) -> craton_token::Result<()> {
    state::module()?.check_session(h)?;
    Err(Error::OperationNotInitialized)
}

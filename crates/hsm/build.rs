//! Link flags for libcraton_hsm.so.

fn main() {
    // The crypto backend registers per-thread destructors inside this library. If a host
    // dlclose()d us and a thread then exited, those destructors would jump into unmapped code.
    // Marking the library "nodelete" keeps it mapped until the process ends, which is what
    // every host that loads a PKCS#11 module expects anyway.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
}

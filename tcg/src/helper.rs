//! Helper functions called from generated code, with declared effects.
//!
//! A helper is an `extern "C"` function taking the env pointer (the guest's
//! state struct) and up to five 64-bit arguments, returning a 64-bit value
//! (ignored when the call has no result). The effect flags tell the backends
//! which globals must be written back before the call and reloaded after it.

/// The helper reads guest state through `env` (globals are synced before the call).
pub const READS_ENV: u32 = 1;
/// The helper writes guest state through `env` (globals are reloaded after it).
pub const WRITES_ENV: u32 = 2;
/// The helper has no effects beyond its result: it may be removed if unused.
pub const NO_SIDE_EFFECTS: u32 = 4;
/// The helper reads or writes env fields that are *not* globals (FP control
/// and status, vector registers accessed with `ld_env`/`st_env`): nothing
/// needs syncing around it, but it is kept (it has effects).
pub const ENV_FIELDS: u32 = 8;

pub type Env = *mut u8;

/// A helper function of a given arity.
#[derive(Copy, Clone)]
pub enum HelperFn {
    A0(extern "C" fn(Env) -> u64),
    A1(extern "C" fn(Env, u64) -> u64),
    A2(extern "C" fn(Env, u64, u64) -> u64),
    A3(extern "C" fn(Env, u64, u64, u64) -> u64),
    A4(extern "C" fn(Env, u64, u64, u64, u64) -> u64),
    A5(extern "C" fn(Env, u64, u64, u64, u64, u64) -> u64),
}

/// A helper declaration, referenced by call ops as `&'static Helper`.
pub struct Helper {
    pub name: &'static str,
    pub func: HelperFn,
    pub nargs: u8,
    pub flags: u32,
}

impl Helper {
    pub const fn new(name: &'static str, func: HelperFn, flags: u32) -> Helper {
        let nargs = match func {
            HelperFn::A0(_) => 0,
            HelperFn::A1(_) => 1,
            HelperFn::A2(_) => 2,
            HelperFn::A3(_) => 3,
            HelperFn::A4(_) => 4,
            HelperFn::A5(_) => 5,
        };
        Helper {
            name,
            func,
            nargs,
            flags,
        }
    }

    /// The function's address, for generated code.
    pub fn addr(&self) -> usize {
        match self.func {
            HelperFn::A0(f) => f as usize,
            HelperFn::A1(f) => f as usize,
            HelperFn::A2(f) => f as usize,
            HelperFn::A3(f) => f as usize,
            HelperFn::A4(f) => f as usize,
            HelperFn::A5(f) => f as usize,
        }
    }

    /// Calls the helper (used by the interpreter).
    #[inline]
    pub fn invoke(&self, env: Env, a: &[u64; 5]) -> u64 {
        match self.func {
            HelperFn::A0(f) => f(env),
            HelperFn::A1(f) => f(env, a[0]),
            HelperFn::A2(f) => f(env, a[0], a[1]),
            HelperFn::A3(f) => f(env, a[0], a[1], a[2]),
            HelperFn::A4(f) => f(env, a[0], a[1], a[2], a[3]),
            HelperFn::A5(f) => f(env, a[0], a[1], a[2], a[3], a[4]),
        }
    }

    pub fn reads_env(&self) -> bool {
        self.flags & READS_ENV != 0
    }
    pub fn writes_env(&self) -> bool {
        self.flags & WRITES_ENV != 0
    }
}

/// Declares a `static` helper: `helper!(HELPER_FOO, "foo", A2(foo), READS_ENV)`.
#[macro_export]
macro_rules! helper {
    ($vis:vis $name:ident, $str:expr, $arity:ident($f:path), $flags:expr) => {
        $vis static $name: $crate::helper::Helper =
            $crate::helper::Helper::new($str, $crate::helper::HelperFn::$arity($f), $flags);
    };
}

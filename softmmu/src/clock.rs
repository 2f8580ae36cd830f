//! The guest's generic counter standing still while something holds the
//! machine stopped (QEMU's virtual clock): a monitor pause (QMP `stop`,
//! savevm, an error policy) or GDB. The counter itself is host time plus a
//! shift (`target_aarch64::helpers::set_counter`); a hold notes the value
//! it stopped at, and the last release sets the counter back there, so the
//! guest sees no time pass between them.

use std::sync::Mutex;

/// Who holds the clock (bits: holds nest across holders).
pub const PAUSE: u8 = 1;
pub const GDB: u8 = 2;

#[derive(Default)]
struct State {
    holders: u8,
    frozen: u64,
}

#[derive(Default)]
pub struct GuestClock {
    s: Mutex<State>,
}

fn now() -> u64 {
    target_aarch64::system::timer::now()
}

impl GuestClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.s.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `who` stops the clock. The value is taken now unless another holder
    /// already stopped it; `again`: `who` stopped it before while guest
    /// code still ran (a pause whose last vCPU was late), take it anew
    /// unless someone else holds it too.
    pub fn hold(&self, who: u8, again: bool) {
        let mut s = self.lock();
        let others = s.holders & !who;
        let first = s.holders == 0;
        if first || (again && others == 0) {
            s.frozen = now();
        }
        s.holders |= who;
    }

    /// `who` lets go. The counter goes on from the value it stopped at
    /// (even while another holder remains: vCPUs that run until that one
    /// parks them count from there, and its own `hold(.., true)` then
    /// takes the value anew).
    pub fn release(&self, who: u8) {
        let mut s = self.lock();
        if s.holders & who == 0 {
            return;
        }
        s.holders &= !who;
        target_aarch64::helpers::set_counter(s.frozen);
    }

    /// Whether anyone holds the clock.
    pub fn held(&self) -> bool {
        self.lock().holders != 0
    }

    /// The counter as the guest sees it.
    pub fn read(&self) -> u64 {
        let s = self.lock();
        if s.holders != 0 {
            s.frozen
        } else {
            now()
        }
    }

    /// Sets the counter (a loaded snapshot); a held clock goes on from `v`
    /// when released.
    pub fn set(&self, v: u64) {
        let mut s = self.lock();
        target_aarch64::helpers::set_counter(v);
        s.frozen = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: u64 = 1_000_000;
    /// The counter is process-wide: one test at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn held_clock_does_not_advance() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let c = GuestClock::default();
        c.hold(GDB, false);
        let a = c.read();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(c.read(), a);
        c.release(GDB);
        let b = now();
        assert!(b >= a && b - a < 20 * MS, "{a} {b}");
    }

    #[test]
    fn nested_holders_keep_the_first_value() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let c = GuestClock::default();
        c.hold(GDB, false);
        let a = c.read();
        std::thread::sleep(Duration::from_millis(30));
        // A pause that times out while GDB holds the cpus: no new value.
        c.hold(PAUSE, false);
        assert_eq!(c.read(), a);
        std::thread::sleep(Duration::from_millis(30));
        c.release(GDB);
        // The vCPUs then park for the pause: the value is taken again,
        // from the counter that went on from `a`.
        c.hold(PAUSE, true);
        let b = c.read();
        assert!(b >= a && b - a < 20 * MS, "{a} {b}");
        c.release(PAUSE);
        assert!(!c.held());
        // Releasing twice changes nothing.
        c.release(PAUSE);
        let n = now();
        assert!(n >= a && n - a < 40 * MS);
    }
}

//! Helper-thread settings.

/// Give the calling thread a lower CPU priority (nice 10): a snapshot or
/// rewrite writer that keeps a core busy must never make the event loop
/// wait for one. (On Linux a nice value belongs to the thread.)
pub fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        const PRIO_PROCESS: i32 = 0;
        unsafe extern "C" {
            fn setpriority(which: i32, who: u32, prio: i32) -> i32;
        }
        // SAFETY: setpriority only changes the scheduling priority of the
        // calling thread (who = 0).
        unsafe {
            setpriority(PRIO_PROCESS, 0, 10);
        }
    }
}

//! Helper-thread settings.

/// Give the calling thread a lower CPU priority (nice 10): a snapshot or
/// rewrite writer that keeps a core busy must never make the event loop
/// wait for one. (On Linux a nice value belongs to the thread.)
pub fn lower_priority() {
    set_nice(10);
}

/// Idle priority (Linux's SCHED_IDLE): the thread runs only on CPU time
/// no other thread wants, and a waking event loop takes its core at
/// once, where a nice value would still let it finish its time slice
/// (milliseconds). For a full sync's serializer: its pace is the
/// replica's anyway, and the loop must not wait for a core.
pub fn idle_priority() {
    #[cfg(target_os = "linux")]
    {
        const SCHED_IDLE: i32 = 5;
        #[repr(C)]
        struct SchedParam {
            priority: i32,
        }
        unsafe extern "C" {
            fn sched_setscheduler(pid: i32, policy: i32, param: *const SchedParam) -> i32;
        }
        let param = SchedParam { priority: 0 };
        // SAFETY: pid 0 is the calling thread; param points to a live
        // struct of the layout the call expects (one int).
        let rc = unsafe { sched_setscheduler(0, SCHED_IDLE, &param) };
        if rc != 0 {
            set_nice(19);
        }
    }
}

fn set_nice(prio: i32) {
    #[cfg(target_os = "linux")]
    {
        const PRIO_PROCESS: i32 = 0;
        unsafe extern "C" {
            fn setpriority(which: i32, who: u32, prio: i32) -> i32;
        }
        // SAFETY: setpriority only changes the scheduling priority of the
        // calling thread (who = 0).
        unsafe {
            setpriority(PRIO_PROCESS, 0, prio);
        }
    }
}

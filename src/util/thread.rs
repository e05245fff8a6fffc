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

/// bio_cpulist, for helper threads started where no config is at hand
/// (the lazy-free thread); set once at startup.
static BIO_CPULIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Record bio_cpulist (startup, before any bio thread).
pub fn set_bio_cpulist(list: &str) {
    let _ = BIO_CPULIST.set(list.to_string());
}

/// The process's CPUs before server_cpulist narrowed the loop's.
static STARTUP_MASK: std::sync::OnceLock<[u64; CPU_SETSIZE / 64]> = std::sync::OnceLock::new();

/// Remember the CPUs the process started with (before server_cpulist).
pub fn remember_startup_affinity() {
    #[cfg(target_os = "linux")]
    {
        let mut mask = [0u64; CPU_SETSIZE / 64];
        unsafe extern "C" {
            fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
        }
        // SAFETY: pid 0 is the calling thread; mask is a live buffer of
        // exactly `size` bytes.
        if unsafe { sched_getaffinity(0, std::mem::size_of_val(&mask), mask.as_mut_ptr()) } == 0 {
            let _ = STARTUP_MASK.set(mask);
        }
    }
}

/// First call of a bio thread (fsync, lazy free): move to bio_cpulist, or
/// else back to the CPUs the process started with. Redis starts its bio
/// threads before it applies server_cpulist, so they never share the
/// loop's core unless told to; ours may start later, from the loop.
pub fn bio_thread_start() {
    match BIO_CPULIST.get() {
        Some(list) if !list.is_empty() => set_cpu_affinity("bio_cpulist", list),
        _ => {
            #[cfg(target_os = "linux")]
            if let Some(mask) = STARTUP_MASK.get() {
                unsafe extern "C" {
                    fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
                }
                // SAFETY: as in set_cpu_affinity.
                unsafe { sched_setaffinity(0, std::mem::size_of_val(mask), mask.as_ptr()) };
            }
        }
    }
}

/// The CPUs a cpulist names, as Redis's setcpuaffinity (after taskset)
/// reads one: comma-separated `N`, `A-B` or `A-B:STEP`. None for a list
/// that is not one, which Redis leaves without effect, as we do.
pub fn parse_cpulist(list: &str) -> Option<Vec<usize>> {
    let num = |s: &str| -> Option<usize> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let mut cpus = Vec::new();
    for token in list.split(',') {
        let (range, step) = match token.split_once(':') {
            Some((r, s)) => (r, num(s)?),
            None => (token, 1),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None if token.contains(':') => return None,
            None => (num(range)?, num(range)?),
        };
        if step == 0 || a > b {
            return None;
        }
        cpus.extend((a..=b).step_by(step).take_while(|&c| c < CPU_SETSIZE));
    }
    Some(cpus)
}

/// glibc's cpu_set_t: 1024 CPUs.
const CPU_SETSIZE: usize = 1024;

/// Run the calling thread on the CPUs `list` names (a `*_cpulist`
/// parameter). An empty list changes nothing; so does one that does not
/// parse, with a warning (Redis says nothing).
pub fn set_cpu_affinity(what: &str, list: &str) {
    if list.is_empty() {
        return;
    }
    let Some(cpus) = parse_cpulist(list) else {
        log::warn!("{what}: '{list}' is not a CPU list (like 0,2-3 or 0-7:2); left as it was");
        return;
    };
    #[cfg(target_os = "linux")]
    {
        let mut mask = [0u64; CPU_SETSIZE / 64];
        for c in cpus {
            if let Some(word) = mask.get_mut(c / 64) {
                *word |= 1 << (c % 64);
            }
        }
        unsafe extern "C" {
            fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
        }
        // SAFETY: pid 0 is the calling thread; mask is a live buffer of
        // exactly `size` bytes.
        let rc = unsafe { sched_setaffinity(0, std::mem::size_of_val(&mask), mask.as_ptr()) };
        if rc != 0 {
            log::warn!(
                "{what}: could not run on CPUs '{list}': {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpus;
}

#[cfg(test)]
mod tests {
    use super::parse_cpulist;

    #[test]
    fn cpulists_read_as_taskset_reads_them() {
        assert_eq!(parse_cpulist("0"), Some(vec![0]));
        assert_eq!(parse_cpulist("0,2-3"), Some(vec![0, 2, 3]));
        assert_eq!(parse_cpulist("0-8:4,1"), Some(vec![0, 4, 8, 1]));
        for bad in ["", "x", "1-", "-1", "3-1", "0-4:0", "1:2", "0,,1", "0-1:x"] {
            assert_eq!(parse_cpulist(bad), None, "{bad}");
        }
    }
}

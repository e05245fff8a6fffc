//! The one fork in the server: SCRIPT DEBUG YES, where Redis forks a child
//! that runs the debugging session on a copy of the dataset, so the server
//! goes on serving and the script's writes die with the child. (Snapshots
//! and rewrites stay fork-free: they copy-on-write in process.)

use std::io;

unsafe extern "C" {
    fn fork() -> i32;
    fn _exit(code: i32) -> !;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn kill(pid: i32, sig: i32) -> i32;
    fn syscall(n: i64, ...) -> i64;
    fn close(fd: i32) -> i32;
    fn signal(sig: i32, handler: usize) -> usize;
}

const WNOHANG: i32 = 1;
const SIGKILL: i32 = 9;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const SIG_IGN: usize = 1;
/// close_range(2) has one number on every Linux architecture (5.9+).
const SYS_CLOSE_RANGE: i64 = 436;

/// close_range(2) through syscall(2): glibc has a wrapper only since 2.34.
unsafe fn close_range(first: u32, last: u32) -> bool {
    // SAFETY: the caller's; the kernel validates the range.
    unsafe { syscall(SYS_CLOSE_RANGE, first as u64, last as u64, 0u64) == 0 }
}

/// Fork: `Some(pid)` in the parent, `None` in the child.
pub fn fork_child() -> io::Result<Option<i32>> {
    // SAFETY: the child only runs the loop thread's own code on its copy
    // of memory (no other thread exists there, and it takes no lock
    // another thread might have held: glibc's malloc re-arms its own).
    match unsafe { fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(pid)),
    }
}

/// In the child: ignore the signals the parent handles (as Redis's ldb
/// child does) and close every descriptor but stdio and `keep` (listening
/// sockets, other clients, the AOF, the poller), so the parent's closes
/// take effect and a dying parent resets its clients.
pub fn child_setup(keep: i32) {
    // SAFETY: plain syscalls in a single-threaded child.
    unsafe {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        let keep = keep as u32;
        let low = keep <= 3 || close_range(3, keep - 1);
        let high = close_range(keep + 1, u32::MAX);
        if !(low && high) {
            for fd in 3..65536 {
                if fd != keep as i32 {
                    close(fd);
                }
            }
        }
    }
}

/// In the child: exit at once, running no destructor or exit handler of
/// the parent's state.
pub fn child_exit(code: i32) -> ! {
    // SAFETY: _exit ends the process.
    unsafe { _exit(code) }
}

/// Whether child `pid` has exited (and is reaped).
pub fn reaped(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid out pointer.
    let r = unsafe { waitpid(pid, &mut status, WNOHANG) };
    r == pid || r == -1
}

/// SIGKILL child `pid` and reap it.
pub fn kill_child(pid: i32) {
    // SAFETY: signalling and waiting on our own child.
    unsafe {
        kill(pid, SIGKILL);
        let mut status = 0;
        waitpid(pid, &mut status, 0);
    }
}

//! Robustness of the socket, epoll and fd-kind syscalls: garbage arguments
//! (random levels, lengths, pointers, control messages, events) give an
//! errno or a result, never a panic; and the kernel's errors for bad
//! pointers and lengths come through.

use super::tests::process;
use super::*;
use crate::aarch64::ABI;

const BUF: u64 = 0x10_0000;
const UNMAPPED: u64 = 0x5000_0000;

fn call(p: &mut Process, name: &str, args: &[u64]) -> i64 {
    let nr = ABI.syscalls.number(name).expect(name);
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    match p.syscall(u64::from(nr), a) {
        SyscallOutcome::Return(v) => v,
        o => panic!("{name}: {o:?}"),
    }
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 17
    }
    fn pick(&mut self, v: &[u64]) -> u64 {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
const MSG_DONTWAIT: u64 = 0x40;

/// A non-blocking unix stream pair in guest terms.
fn pair(p: &mut Process) -> (u64, u64) {
    const SOCK_NONBLOCK: u64 = 0o4000;
    assert_eq!(call(p, "socketpair", &[1, 1 | SOCK_NONBLOCK, 0, BUF]), 0);
    let b = p.space.read_vec(BUF, 8).unwrap();
    (
        u32::from_le_bytes(b[..4].try_into().unwrap()).into(),
        u32::from_le_bytes(b[4..].try_into().unwrap()).into(),
    )
}

#[test]
fn bad_pointers_and_lengths_are_errors() {
    let mut p = process();
    let (a, b) = pair(&mut p);
    assert_eq!(call(&mut p, "bind", &[a, UNMAPPED, 16]), EFAULT);
    assert_eq!(call(&mut p, "bind", &[a, BUF, 129]), EINVAL);
    assert_eq!(call(&mut p, "bind", &[a, BUF, -1i64 as u64]), EINVAL);
    assert_eq!(call(&mut p, "getsockname", &[a, BUF, UNMAPPED]), EFAULT);
    assert_eq!(call(&mut p, "sendto", &[a, UNMAPPED, 10, 0, 0, 0]), EFAULT);
    assert_eq!(call(&mut p, "sendmsg", &[a, UNMAPPED, 0]), EFAULT);
    assert_eq!(
        call(&mut p, "recvmsg", &[b, UNMAPPED, MSG_DONTWAIT]),
        EFAULT
    );
    assert_eq!(
        call(&mut p, "getsockopt", &[a, 1, 7, BUF, UNMAPPED]),
        EFAULT
    );
    assert_eq!(call(&mut p, "epoll_pwait", &[3, BUF, 0, 0, 0, 0]), EINVAL);
    let ep = call(&mut p, "epoll_create1", &[0]) as u64;
    assert_eq!(call(&mut p, "epoll_ctl", &[ep, 1, a, UNMAPPED]), EFAULT);
    assert_eq!(
        call(&mut p, "epoll_pwait", &[ep, UNMAPPED, 4, 0, 0, 0]),
        EFAULT
    );
    assert_eq!(
        call(&mut p, "signalfd4", &[-1i64 as u64, BUF, 4, 0]),
        EINVAL
    );
    assert_eq!(call(&mut p, "memfd_create", &[UNMAPPED, 0]), EFAULT);
    for fd in [a, b, ep] {
        call(&mut p, "close", &[fd]);
    }
}

#[test]
fn garbage_arguments_never_panic() {
    let mut p = process();
    let (a, b) = pair(&mut p);
    let ep = call(&mut p, "epoll_create1", &[0]) as u64;
    let efd = call(&mut p, "eventfd2", &[0, 0o4000]) as u64;
    // Unix sockets only: garbage addresses must not reach a network.
    let fds = [a, b, ep, efd, -1i64 as u64, 9999];
    let ptrs = [BUF, BUF + 0x800, BUF + 0xf_fff0, UNMAPPED, 0, u64::MAX - 7];
    let mut r = Lcg(7);
    for i in 0..3000 {
        // Fresh garbage in the scratch page, with plausible lengths at the
        // starts of words so control messages and headers get parsed.
        let mut g = vec![0u8; 0x1000];
        for (j, x) in g.iter_mut().enumerate() {
            *x = if j % 16 < 2 {
                (r.next() % 40) as u8
            } else {
                r.next() as u8
            };
        }
        p.space.write(BUF, &g).unwrap();
        // A zero timeout for ppoll.
        p.space.write(BUF + 0xfe0, &[0; 16]).unwrap();
        let fd = r.pick(&fds);
        let ptr = r.pick(&ptrs);
        let len = r.pick(&[0, 1, 4, 8, 16, 28, 56, 128, 4096, 1 << 20, u64::MAX]);
        let v = r.next();
        match i % 12 {
            0 => call(
                &mut p,
                "setsockopt",
                &[fd, r.pick(&[0, 1, 6, 41, v]), v % 80, ptr, len],
            ),
            1 => {
                p.write_u32(BUF + 0x800, len as u32).unwrap();
                call(
                    &mut p,
                    "getsockopt",
                    &[fd, r.pick(&[0, 1, 6, 41]), v % 80, BUF, BUF + 0x800],
                )
            }
            2 => call(&mut p, "sendmsg", &[fd, ptr, MSG_DONTWAIT]),
            3 => call(&mut p, "recvmsg", &[fd, ptr, MSG_DONTWAIT | (v & 0x2)]),
            4 => call(
                &mut p,
                "sendto",
                &[fd, ptr, len & 0xfff, MSG_DONTWAIT, BUF, len],
            ),
            5 => call(
                &mut p,
                "recvfrom",
                &[fd, ptr, len, MSG_DONTWAIT, BUF, BUF + 0x800],
            ),
            6 => call(&mut p, "epoll_ctl", &[ep, v % 4, fd, ptr]),
            7 => call(&mut p, "epoll_pwait", &[ep, ptr, len & 0xff, 0, 0, 0]),
            8 => call(
                &mut p,
                "ioctl",
                &[
                    fd,
                    r.pick(&[0x8912, 0x8913, 0x8915, 0x8933, 0x8910, 0x541b]),
                    ptr,
                ],
            ),
            9 => call(&mut p, "sendmmsg", &[fd, ptr, len & 0x7, MSG_DONTWAIT]),
            10 => call(&mut p, "recvmmsg", &[fd, ptr, len & 0x7, MSG_DONTWAIT, 0]),
            _ => call(&mut p, "ppoll", &[ptr, len & 0x7, BUF + 0xfe0, 0, 8]),
        };
    }
    for fd in [a, b, ep, efd] {
        call(&mut p, "close", &[fd]);
    }
}

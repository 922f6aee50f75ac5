//! The WASI preview1 calls a `wasm32-wasip1` Rust filter imports (`docs/hosts.md` §13: at least
//! `environ_get`, `environ_sizes_get`, `fd_write`, `proc_exit`), plus the small set
//! ngx_wasm_module implements (docs/hosts.md §13): no environment, no arguments, no preopened directories,
//! stdout/stderr captured into the host log (Rust panic messages arrive here before the trap).

use wasmtime::{Caller, Linker};

use crate::state::HostState;
use crate::wasm::{read, write, write_u32};

type C<'a> = Caller<'a, HostState>;
type R<T> = wasmtime::Result<T>;

const M: &str = "wasi_snapshot_preview1";
/// WASI errno values.
const ESUCCESS: u32 = 0;
const EBADF: u32 = 8;
const EINVAL: u32 = 28;

/// Defines the WASI functions on the linker.
pub fn define(l: &mut Linker<HostState>) -> R<()> {
    l.func_wrap(
        M,
        "environ_sizes_get",
        |mut c: C<'_>, count: u32, size: u32| -> R<u32> {
            write_u32(&mut c, count, 0)?;
            write_u32(&mut c, size, 0)?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(M, "environ_get", |_c: C<'_>, _a: u32, _b: u32| -> R<u32> {
        Ok(ESUCCESS)
    })?;
    l.func_wrap(
        M,
        "args_sizes_get",
        |mut c: C<'_>, count: u32, size: u32| -> R<u32> {
            write_u32(&mut c, count, 0)?;
            write_u32(&mut c, size, 0)?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(M, "args_get", |_c: C<'_>, _a: u32, _b: u32| -> R<u32> {
        Ok(ESUCCESS)
    })?;
    l.func_wrap(
        M,
        "fd_write",
        |mut c: C<'_>, fd: u32, iovs: u32, n: u32, out: u32| -> R<u32> {
            if fd != 1 && fd != 2 {
                return Ok(EBADF);
            }
            let mut total = 0u32;
            for i in 0..n {
                let iov = read(&mut c, iovs + i * 8, 8)?;
                let word = |at: usize| -> R<u32> {
                    let b: [u8; 4] = iov
                        .get(at..at + 4)
                        .and_then(|s| s.try_into().ok())
                        .ok_or_else(|| wasmtime::format_err!("host trap: short iovec"))?;
                    Ok(u32::from_le_bytes(b))
                };
                let (ptr, len) = (word(0)?, word(4)?);
                let bytes = read(&mut c, ptr, len)?;
                c.data_mut().write_fd(fd, &bytes);
                total += len;
            }
            write_u32(&mut c, out, total)?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(
        M,
        "fd_read",
        |_c: C<'_>, _fd: u32, _i: u32, _n: u32, _o: u32| -> R<u32> { Ok(EBADF) },
    )?;
    l.func_wrap(M, "fd_close", |_c: C<'_>, _fd: u32| -> R<u32> { Ok(EBADF) })?;
    l.func_wrap(
        M,
        "fd_seek",
        |_c: C<'_>, _fd: u32, _o: i64, _w: u32, _r: u32| -> R<u32> { Ok(EBADF) },
    )?;
    l.func_wrap(
        M,
        "fd_fdstat_get",
        |mut c: C<'_>, fd: u32, out: u32| -> R<u32> {
            if fd > 2 {
                return Ok(EBADF);
            }
            // filetype 2 = character device, no flags, rights all set.
            let mut stat = [0u8; 24];
            stat[0] = 2;
            for b in stat.iter_mut().skip(8) {
                *b = 0xff;
            }
            write(&mut c, out, &stat)?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(
        M,
        "fd_prestat_get",
        |_c: C<'_>, _fd: u32, _o: u32| -> R<u32> { Ok(EBADF) },
    )?;
    l.func_wrap(
        M,
        "fd_prestat_dir_name",
        |_c: C<'_>, _fd: u32, _p: u32, _n: u32| -> R<u32> { Ok(EBADF) },
    )?;
    l.func_wrap(M, "sched_yield", |_c: C<'_>| -> R<u32> { Ok(ESUCCESS) })?;
    l.func_wrap(
        M,
        "clock_time_get",
        |mut c: C<'_>, id: u32, _prec: u64, out: u32| -> R<u32> {
            if id > 3 {
                return Ok(EINVAL);
            }
            let t = c.data().now_nanos();
            write(&mut c, out, &t.to_le_bytes())?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(
        M,
        "clock_res_get",
        |mut c: C<'_>, _id: u32, out: u32| -> R<u32> {
            write(&mut c, out, &1u64.to_le_bytes())?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(
        M,
        "random_get",
        |mut c: C<'_>, ptr: u32, len: u32| -> R<u32> {
            let mut bytes = Vec::with_capacity(len as usize);
            while bytes.len() < len as usize {
                bytes.extend_from_slice(&c.data_mut().next_random().to_le_bytes());
            }
            bytes.truncate(len as usize);
            write(&mut c, ptr, &bytes)?;
            Ok(ESUCCESS)
        },
    )?;
    l.func_wrap(M, "proc_exit", |mut c: C<'_>, code: u32| -> R<()> {
        c.data_mut().flush_fds();
        Err(wasmtime::format_err!("host trap: proc_exit({code})"))
    })?;
    Ok(())
}

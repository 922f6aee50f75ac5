//! The `env.proxy_*` import table: one closure per hostcall the Rust SDK 0.2.5 can import.
//! Each only moves bytes between guest memory (`wasm.rs` helpers) and a `HostState` method,
//! where each host's rules live (`state.rs`, `headers.rs`, `calls.rs`).

use wasmtime::Linker;

use crate::abi::{self, BufferType, MapType, Status};
use crate::profile::Profile;
use crate::state::{Fail, HostResult, HostState, LocalResponse};
use crate::wasm::{give, read, read_str, st, write, write_u32, C, R};

fn bt(v: u32) -> HostResult<BufferType> {
    BufferType::from_u32(v).ok_or(Fail::Status(Status::BadArgument))
}
fn mt(v: u32) -> HostResult<MapType> {
    MapType::from_u32(v).ok_or(Fail::Status(Status::BadArgument))
}

/// Kong does not implement gRPC (NYI trap, docs/hosts.md §13); the Envoy profile does not emulate it and
/// answers INTERNAL_FAILURE (the SDK returns `Err`), logged loudly.
fn grpc(c: &mut C<'_>, name: &str) -> R<u32> {
    let r: HostResult<()> = match c.data().profile() {
        Profile::Kong => Err(Fail::Trap(format!("NYI: {name}"))),
        Profile::Envoy => {
            c.data_mut().host_log(format!(
                "[envoy] {name}: gRPC is not emulated by the dev host"
            ));
            Err(Fail::Status(Status::InternalFailure))
        }
    };
    st(c, r)
}

/// Links every `env.proxy_*` import.
#[allow(clippy::too_many_lines)]
pub(crate) fn define(l: &mut Linker<HostState>) -> R<()> {
    l.func_wrap(
        "env",
        "proxy_log",
        |mut c: C<'_>, level: u32, p: u32, n: u32| -> R<u32> {
            let msg = read(&mut c, p, n)?;
            let r = c.data_mut().log(level, &msg);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_log_level",
        |mut c: C<'_>, out: u32| -> R<u32> {
            let r = c.data_mut().get_log_level();
            if let Ok(v) = r {
                write_u32(&mut c, out, v)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        |mut c: C<'_>, out: u32| -> R<u32> {
            let t = c.data().now_nanos();
            c.data_mut().host_calls += 1;
            write(&mut c, out, &t.to_le_bytes())?;
            Ok(0)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        |mut c: C<'_>, ms: u32| -> R<u32> {
            let r = c.data_mut().set_tick_period(ms);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut c: C<'_>, t: u32, start: u32, max: u32, pp: u32, sp: u32| -> R<u32> {
            let r = bt(t).and_then(|t| c.data_mut().get_buffer(t, start as usize, max as usize));
            if let Ok(Some(b)) = &r {
                give(&mut c, b, pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        |mut c: C<'_>, t: u32, start: u32, size: u32, p: u32, n: u32| -> R<u32> {
            let data = read(&mut c, p, n)?;
            let r = bt(t).and_then(|t| {
                c.data_mut()
                    .set_buffer(t, start as usize, size as usize, &data)
            });
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_buffer_status",
        |mut c: C<'_>, t: u32, lp: u32, fp: u32| -> R<u32> {
            let r = bt(t).and_then(|t| c.data_mut().buffer_len(t));
            if let Ok(n) = r {
                write_u32(&mut c, lp, n as u32)?;
                write_u32(&mut c, fp, 0)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut c: C<'_>, t: u32, pp: u32, sp: u32| -> R<u32> {
            let r = mt(t).and_then(|t| c.data_mut().get_map_pairs(t));
            if let Ok(pairs) = &r {
                give(&mut c, &abi::serialize_map(pairs), pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut c: C<'_>, t: u32, p: u32, n: u32| -> R<u32> {
            let bytes = read(&mut c, p, n)?;
            let r = match abi::deserialize_map(&bytes) {
                Some(pairs) => mt(t).and_then(|t| c.data_mut().set_map_pairs(t, pairs)),
                None => Err(Fail::Status(Status::BadArgument)),
            };
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_header_map_size",
        |mut c: C<'_>, t: u32, out: u32| -> R<u32> {
            let r = mt(t).and_then(|t| c.data_mut().get_map_size(t));
            if let Ok(n) = r {
                write_u32(&mut c, out, n as u32)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut c: C<'_>, t: u32, kp: u32, kn: u32, pp: u32, sp: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let r = mt(t).and_then(|t| c.data_mut().get_map_value(t, &key));
            if let Ok(v) = &r {
                give(&mut c, v, pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        |mut c: C<'_>, t: u32, kp: u32, kn: u32, vp: u32, vn: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let v = read(&mut c, vp, vn)?;
            let r = mt(t).and_then(|t| c.data_mut().replace_map_value(t, &key, &v));
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_add_header_map_value",
        |mut c: C<'_>, t: u32, kp: u32, kn: u32, vp: u32, vn: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let v = read(&mut c, vp, vn)?;
            let r = mt(t).and_then(|t| c.data_mut().add_map_value(t, &key, &v));
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut c: C<'_>, t: u32, kp: u32, kn: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let r = mt(t).and_then(|t| c.data_mut().remove_map_value(t, &key));
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_property",
        |mut c: C<'_>, p: u32, n: u32, pp: u32, sp: u32| -> R<u32> {
            let path = abi::split_path(&read(&mut c, p, n)?);
            let r = c.data_mut().get_property(&path);
            if let Ok(v) = &r {
                give(&mut c, v, pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_property",
        |mut c: C<'_>, p: u32, n: u32, vp: u32, vn: u32| -> R<u32> {
            let path = abi::split_path(&read(&mut c, p, n)?);
            let v = read(&mut c, vp, vn)?;
            let r = c.data_mut().set_property(&path, &v);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_shared_data",
        |mut c: C<'_>, kp: u32, kn: u32, pp: u32, sp: u32, cp: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let r = c.data_mut().get_shared_data(&key);
            if let Ok((v, cas)) = &r {
                give(&mut c, v, pp, sp)?;
                write_u32(&mut c, cp, *cas)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_shared_data",
        |mut c: C<'_>, kp: u32, kn: u32, vp: u32, vn: u32, cas: u32| -> R<u32> {
            let key = read_str(&mut c, kp, kn)?;
            let v = read(&mut c, vp, vn)?;
            let r = c.data_mut().set_shared_data(&key, &v, cas);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_register_shared_queue",
        |mut c: C<'_>, p: u32, n: u32, out: u32| -> R<u32> {
            let name = read_str(&mut c, p, n)?;
            let id = c.data_mut().register_queue(&name);
            write_u32(&mut c, out, id)?;
            Ok(0)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_resolve_shared_queue",
        |mut c: C<'_>, _vp: u32, _vn: u32, p: u32, n: u32, out: u32| -> R<u32> {
            let name = read_str(&mut c, p, n)?;
            let r = c.data_mut().resolve_queue(&name);
            if let Ok(id) = r {
                write_u32(&mut c, out, id)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_dequeue_shared_queue",
        |mut c: C<'_>, id: u32, pp: u32, sp: u32| -> R<u32> {
            let r = c.data_mut().dequeue(id);
            if let Ok(v) = &r {
                give(&mut c, v, pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_enqueue_shared_queue",
        |mut c: C<'_>, id: u32, p: u32, n: u32| -> R<u32> {
            let v = read(&mut c, p, n)?;
            let r = c.data_mut().enqueue(id, &v);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_continue_stream",
        |mut c: C<'_>, t: u32| -> R<u32> {
            let r = c.data_mut().continue_stream(t);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_close_stream",
        |mut c: C<'_>, t: u32| -> R<u32> {
            let r = c.data_mut().close_stream(t);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_send_local_response",
        |mut c: C<'_>,
         status: u32,
         dp: u32,
         dn: u32,
         bp: u32,
         bn: u32,
         hp: u32,
         hn: u32,
         _grpc: i32|
         -> R<u32> {
            let details = read_str(&mut c, dp, dn)?;
            let body = read(&mut c, bp, bn)?;
            let headers = abi::deserialize_map(&read(&mut c, hp, hn)?).unwrap_or_default();
            let r = c.data_mut().send_local_response(LocalResponse {
                status,
                details,
                headers,
                body,
            });
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_http_call",
        |mut c: C<'_>,
         up: u32,
         un: u32,
         hp: u32,
         hn: u32,
         bp: u32,
         bn: u32,
         tp: u32,
         tn: u32,
         timeout: u32,
         out: u32|
         -> R<u32> {
            let upstream = read_str(&mut c, up, un)?;
            let headers = abi::deserialize_map(&read(&mut c, hp, hn)?);
            let body = read(&mut c, bp, bn)?;
            let trailers = abi::deserialize_map(&read(&mut c, tp, tn)?);
            let r = match (headers, trailers) {
                (Some(h), Some(t)) => c.data_mut().http_call(&upstream, h, body, t, timeout),
                _ => Err(Fail::Status(Status::BadArgument)),
            };
            if let Ok(token) = r {
                write_u32(&mut c, out, token)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_grpc_call",
        |mut c: C<'_>,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32|
         -> R<u32> { grpc(&mut c, "proxy_grpc_call") },
    )?;
    l.func_wrap(
        "env",
        "proxy_grpc_stream",
        |mut c: C<'_>,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32,
         _: u32|
         -> R<u32> { grpc(&mut c, "proxy_grpc_stream") },
    )?;
    l.func_wrap(
        "env",
        "proxy_grpc_send",
        |mut c: C<'_>, _: u32, _: u32, _: u32, _: u32| -> R<u32> {
            grpc(&mut c, "proxy_grpc_send")
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_grpc_cancel",
        |mut c: C<'_>, _: u32| -> R<u32> { grpc(&mut c, "proxy_grpc_cancel") },
    )?;
    l.func_wrap(
        "env",
        "proxy_grpc_close",
        |mut c: C<'_>, _: u32| -> R<u32> { grpc(&mut c, "proxy_grpc_close") },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_status",
        |mut c: C<'_>, cp: u32, pp: u32, sp: u32| -> R<u32> {
            let r = c.data_mut().get_status();
            if let Ok((code, msg)) = &r {
                write_u32(&mut c, cp, *code)?;
                give(&mut c, msg, pp, sp)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_effective_context",
        |mut c: C<'_>, id: u32| -> R<u32> {
            let r = c.data_mut().set_effective_context(id);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_call_foreign_function",
        |mut c: C<'_>, np: u32, nn: u32, _ap: u32, _an: u32, pp: u32, sp: u32| -> R<u32> {
            let name = read_str(&mut c, np, nn)?;
            let r = c.data_mut().foreign_function(&name);
            if let Ok(v) = &r {
                if !v.is_empty() {
                    give(&mut c, v, pp, sp)?;
                }
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap("env", "proxy_done", |mut c: C<'_>| -> R<u32> {
        let r = c.data_mut().done();
        st(&mut c, r)
    })?;
    l.func_wrap(
        "env",
        "proxy_define_metric",
        |mut c: C<'_>, t: u32, p: u32, n: u32, out: u32| -> R<u32> {
            let name = read_str(&mut c, p, n)?;
            let r = c.data_mut().define_metric(t, &name);
            if let Ok(id) = r {
                write_u32(&mut c, out, id)?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_metric",
        |mut c: C<'_>, id: u32, out: u32| -> R<u32> {
            let r = c.data_mut().get_metric(id);
            if let Ok(v) = r {
                write(&mut c, out, &v.to_le_bytes())?;
            }
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_record_metric",
        |mut c: C<'_>, id: u32, v: u64| -> R<u32> {
            let r = c.data_mut().record_metric(id, v);
            st(&mut c, r)
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut c: C<'_>, id: u32, d: i64| -> R<u32> {
            let r = c.data_mut().increment_metric(id, d);
            st(&mut c, r)
        },
    )?;
    Ok(())
}

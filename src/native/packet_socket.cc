// Outpost's raw Ethernet port: one AF_PACKET socket bound to one interface, through which
// the link plane (CDP, LLDP-MED) and the DHCP server send and receive whole frames.
// JS sees a PacketSocket class; the TypeScript wrapper is src/native/raw-socket.ts. The addon
// also carries the TFTP transfer threads (tftp_sender.cc) and the SIP port's sending thread
// (datagram_sender.cc); src/native/addon.ts loads it.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "datagram_sender.h"
#include "tftp_sender.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace {

constexpr size_t kFrameBufferSize = 64 * 1024;
constexpr int kFramesPerWake = 64;   // bounded so a flood cannot starve the rest of the daemon
constexpr int kMaxDrain = 100000;    // queue is bounded by SO_RCVBUF; this is only a safety net

// Throws a JS Error "<what>: <strerror>" with errno/code/syscall properties set, so callers
// can tell EAGAIN (send queue full) from a real failure.
void ThrowErrno(Napi::Env env, const std::string& what, int errnum) {
  Napi::Error error = Napi::Error::New(env, what + ": " + strerror(errnum));
  const char* name = strerrorname_np(errnum);
  error.Set("errno", Napi::Number::New(env, errnum));
  error.Set("code", Napi::String::New(env, name != nullptr ? name : std::to_string(errnum)));
  error.Set("syscall", Napi::String::New(env, what));
  error.ThrowAsJavaScriptException();
}

// A program that rejects every frame; installed before bind so nothing unfiltered is queued.
bool AttachDropAll(int fd) {
  sock_filter drop[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  sock_fprog prog = {1, drop};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

// Discards whatever the previous filter let into the receive queue.
void Drain(int fd) {
  unsigned char scrap[1];
  for (int i = 0; i < kMaxDrain; i++) {
    if (recv(fd, scrap, sizeof(scrap), MSG_DONTWAIT | MSG_TRUNC) < 0 && errno != EINTR) return;
  }
}

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {
                           InstanceMethod<&PacketSocket::SetFilter>("setFilter"),
                           InstanceMethod<&PacketSocket::AddMembership>("addMembership"),
                           InstanceMethod<&PacketSocket::SetReceiveBuffer>("setReceiveBuffer"),
                           InstanceMethod<&PacketSocket::Send>("send"),
                           InstanceMethod<&PacketSocket::Start>("start"),
                           InstanceMethod<&PacketSocket::Close>("close"),
                           InstanceAccessor<&PacketSocket::GetIfindex>("ifindex"),
                           InstanceAccessor<&PacketSocket::GetMac>("mac"),
                           InstanceAccessor<&PacketSocket::GetMtu>("mtu"),
                       });
  }

  PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "PacketSocket(ifname: string, protocol: number)").ThrowAsJavaScriptException();
      return;
    }
    std::string ifname = info[0].As<Napi::String>().Utf8Value();
    uint32_t protocol = info[1].As<Napi::Number>().Uint32Value();
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
      Napi::Error::New(env, "invalid interface name '" + ifname + "'").ThrowAsJavaScriptException();
      return;
    }
    if (protocol == 0 || protocol > 0xffff) {
      Napi::Error::New(env, "protocol must be an ethertype between 1 and 0xffff").ThrowAsJavaScriptException();
      return;
    }
    Open(env, ifname, static_cast<uint16_t>(protocol));
  }

  ~PacketSocket() override { Shutdown(false); }

 private:
  void Open(Napi::Env env, const std::string& ifname, uint16_t protocol) {
    // Protocol 0 at creation: the socket queues nothing until bind() names the real protocol,
    // by which time the drop-all filter is in place.
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ThrowErrno(env, "socket", errno);
    fd_ = fd;

    ifreq req{};
    memcpy(req.ifr_name, ifname.c_str(), ifname.size() + 1);
    if (ioctl(fd, SIOCGIFINDEX, &req) < 0) return FailOpen(env, "SIOCGIFINDEX(" + ifname + ")");
    ifindex_ = req.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &req) < 0) return FailOpen(env, "SIOCGIFHWADDR(" + ifname + ")");
    memcpy(mac_, req.ifr_hwaddr.sa_data, 6);
    if (ioctl(fd, SIOCGIFMTU, &req) < 0) return FailOpen(env, "SIOCGIFMTU(" + ifname + ")");
    mtu_ = req.ifr_mtu;

    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
      return FailOpen(env, "setsockopt(PACKET_IGNORE_OUTGOING)");
    }
    if (!AttachDropAll(fd)) return FailOpen(env, "setsockopt(SO_ATTACH_FILTER)");

    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(protocol);
    addr.sll_ifindex = ifindex_;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) return FailOpen(env, "bind(" + ifname + ")");
  }

  void FailOpen(Napi::Env env, const std::string& what) {
    int saved = errno;
    close(fd_);
    fd_ = -1;
    ThrowErrno(env, what, saved);
  }

  bool RequireOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    Napi::Error::New(env, "packet socket is closed").ThrowAsJavaScriptException();
    return false;
  }

  // setFilter(program: Buffer of packed struct sock_filter)
  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "setFilter(program: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto program = info[0].As<Napi::Buffer<uint8_t>>();
    size_t count = program.Length() / sizeof(sock_filter);
    if (program.Length() % sizeof(sock_filter) != 0 || count == 0 || count > BPF_MAXINSNS) {
      Napi::RangeError::New(env, "BPF program must be 1..4096 instructions of 8 bytes").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // Copy so the kernel reads an aligned array regardless of the Buffer's offset.
    std::vector<sock_filter> insns(count);
    memcpy(insns.data(), program.Data(), program.Length());
    sock_fprog prog = {static_cast<unsigned short>(count), insns.data()};
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
      ThrowErrno(env, "setsockopt(SO_ATTACH_FILTER)", errno);
      return env.Undefined();
    }
    // The swap is atomic in the kernel; draining afterwards removes frames admitted by the
    // previous program, so every frame delivered from now on passed this one.
    Drain(fd_);
    filtered_ = true;
    return env.Undefined();
  }

  // setReceiveBuffer(bytes): a deeper kernel queue absorbs bursts (a boot storm of DHCP
  // DISCOVERs) while the event loop is busy. SO_RCVBUFFORCE passes net.core.rmem_max when the
  // process may; otherwise SO_RCVBUF is capped there. Returns the size the kernel granted.
  Napi::Value SetReceiveBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "setReceiveBuffer(bytes: number)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int bytes = info[0].As<Napi::Number>().Int32Value();
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0) {
      ThrowErrno(env, "setsockopt(SO_RCVBUF)", errno);
      return env.Undefined();
    }
    int granted = 0;
    socklen_t len = sizeof(granted);
    getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &granted, &len);
    return Napi::Number::New(env, granted);
  }

  // addMembership(mac: Buffer of 6 bytes): receive this multicast group (e.g. LLDP's 01:80:c2:00:00:0e).
  Napi::Value AddMembership(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() != 6) {
      Napi::TypeError::New(env, "addMembership(mac: 6-byte Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_MULTICAST;
    mreq.mr_alen = 6;
    memcpy(mreq.mr_address, info[0].As<Napi::Buffer<uint8_t>>().Data(), 6);
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
      ThrowErrno(env, "setsockopt(PACKET_ADD_MEMBERSHIP)", errno);
    }
    return env.Undefined();
  }

  // send(frame: Buffer): number — the complete Ethernet frame, header included.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "send(frame: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto frame = info[0].As<Napi::Buffer<uint8_t>>();
    ssize_t n;
    do {
      n = send(fd_, frame.Data(), frame.Length(), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      ThrowErrno(env, "send", errno);
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // start(onFrame, onError?): poll the socket on the Node event loop.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsFunction() || (info.Length() > 1 && !info[1].IsFunction() && !info[1].IsUndefined())) {
      Napi::TypeError::New(env, "start(onFrame: Function, onError?: Function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) {
      Napi::Error::New(env, "packet socket already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // Without setFilter() the caller wants every frame of the bound protocol: lift the drop-all.
    if (!filtered_) {
      sock_filter all[] = {{BPF_RET | BPF_K, 0, 0, 0xffffffff}};
      sock_fprog prog = {1, all};
      if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
        ThrowErrno(env, "setsockopt(SO_ATTACH_FILTER)", errno);
        return env.Undefined();
      }
      filtered_ = true;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "cannot get the libuv loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* poll = new uv_poll_t;
    int rc = uv_poll_init(loop, poll, fd_);
    if (rc == 0) rc = uv_poll_start(poll, UV_READABLE, OnReadable);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll), OnPollClosed);
      Napi::Error::New(env, std::string("uv_poll: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll->data = this;
    poll_ = poll;
    on_frame_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (info.Length() > 1 && info[1].IsFunction()) on_error_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "OutpostPacketSocket");
    buffer_.resize(kFrameBufferSize);
    // A polling socket stays alive like any Node handle, even if JS drops its last reference.
    Ref();
    pinned_ = true;
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown(true);
    return info.Env().Undefined();
  }

  Napi::Value GetIfindex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }
  Napi::Value GetMtu(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), mtu_); }
  Napi::Value GetMac(const Napi::CallbackInfo& info) { return Napi::Buffer<uint8_t>::Copy(info.Env(), mac_, 6); }

  // Idempotent. From the finalizer (fromJs=false) the JS references are already being torn down.
  void Shutdown(bool fromJs) {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnPollClosed);
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (fromJs) {
      on_frame_.Reset();
      on_error_.Reset();
      context_.reset();
      if (pinned_) {
        pinned_ = false;
        Unref();
      }
    }
  }

  static void OnPollClosed(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  static void OnReadable(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<PacketSocket*>(handle->data);
    if (self != nullptr) self->ReadFrames(status);
  }

  void ReadFrames(int status) {
    Napi::HandleScope scope(env_);
    // Holding the wrapper in a local keeps it from being collected while callbacks run.
    Napi::Object holder = Value();
    for (int i = 0; i < kFramesPerWake && fd_ >= 0; i++) {
      sockaddr_ll from{};
      socklen_t fromLen = sizeof(from);
      ssize_t n = recvfrom(fd_, buffer_.data(), buffer_.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
      if (n < 0) {
        if (errno == EINTR) continue;
        // EAGAIN ends this wake; anything else (e.g. ENETDOWN) is reported, then polling resumes.
        if (errno != EAGAIN && errno != EWOULDBLOCK) ReportError("recvfrom", errno);
        return;
      }
      if (from.sll_pkttype == PACKET_OUTGOING) continue;  // belt and braces for PACKET_IGNORE_OUTGOING
      size_t length = static_cast<size_t>(n) < buffer_.size() ? static_cast<size_t>(n) : buffer_.size();
      Napi::Value frame = Napi::Buffer<uint8_t>::Copy(env_, buffer_.data(), length);
      on_frame_.MakeCallback(holder, {frame}, *context_);
      if (!RaiseIfThrown()) return;
    }
  }

  void ReportError(const char* what, int errnum) {
    if (on_error_.IsEmpty()) return;
    Napi::Error error = Napi::Error::New(env_, std::string(what) + ": " + strerror(errnum));
    const char* name = strerrorname_np(errnum);
    error.Set("code", Napi::String::New(env_, name != nullptr ? name : std::to_string(errnum)));
    on_error_.MakeCallback(Value(), {error.Value()}, *context_);
    RaiseIfThrown();
  }

  // A listener that throws must surface as 'uncaughtException', as with any Node event source.
  bool RaiseIfThrown() {
    if (!env_.IsExceptionPending()) return true;
    Napi::Error error = env_.GetAndClearPendingException();
    napi_fatal_exception(env_, error.Value());
    return false;
  }

  Napi::Env env_;
  int fd_ = -1;
  int ifindex_ = 0;
  int mtu_ = 0;
  uint8_t mac_[6] = {0, 0, 0, 0, 0, 0};
  bool filtered_ = false;
  bool pinned_ = false;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_frame_;
  Napi::FunctionReference on_error_;
  std::unique_ptr<Napi::AsyncContext> context_;
  std::vector<uint8_t> buffer_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Define(env));
  outpost::InitTftpSender(env, exports);
  outpost::InitDatagramSender(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(outpost_packet, Init)

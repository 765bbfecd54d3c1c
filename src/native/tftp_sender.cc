// Outpost's TFTP data path for files already in memory: one transfer per native thread, on its
// own ephemeral UDP port connected to the phone, sending DATA blocks straight out of the cached
// bytes (no copy, a whole window per system call) and waiting for each ACK in a blocking recv()
// with a receive timeout (one system call per packet, not poll() and then recv()). The event loop
// only starts a transfer and hears how it ended; the protocol rules are those of
// src/files/tftp/transfer.ts, which serves everything else. The TypeScript face is
// src/files/tftp/transfer-threads.ts.
#include <napi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ip_address.h"
#include "tftp_sender.h"

namespace outpost {
namespace {

constexpr uint16_t kOpData = 3;
constexpr uint16_t kOpAck = 4;
constexpr uint16_t kOpError = 5;
constexpr int64_t kBlockSpace = 0x10000;
constexpr size_t kMaxWindow = 64;  // blocks per sendmmsg; larger windows take several calls

int64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Result {
  std::string outcome;
  uint64_t bytes = 0;
  uint64_t blocks = 0;
  uint64_t retransmissions = 0;
  std::string error;
};

// Everything one transfer needs, shared by the JS object (for abort) and its thread.
struct Job {
  sockaddr_storage local{};
  sockaddr_storage client{};
  socklen_t addr_len = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
  uint32_t blksize = 512;
  uint32_t windowsize = 1;
  std::vector<uint8_t> oack;  // empty: no OACK, block 1 goes first
  int64_t base_ms = 1000;
  int64_t max_ms = 4000;
  int retries = 5;

  // Abort: under the mutex, the request is noted and the socket's receiving side shut down,
  // which wakes the thread from recv(). The thread drops `fd` under the same mutex before it
  // closes the socket, so an abort never touches a descriptor number reused by then.
  std::mutex abort_mutex;
  std::atomic<bool> abort_requested{false};
  std::string abort_reason;
  bool abort_quietly = false;
  int fd = -1;
};

// The protocol state of one transfer: block numbers are absolute (wire numbers roll over),
// block 0 is the OACK while it is outstanding.
class Sender {
 public:
  explicit Sender(Job& job) : job_(job) {
    final_block_ = static_cast<int64_t>(job.size / job.blksize) + 1;  // a short (maybe empty) block ends it
    interval_ = job.base_ms;
    retries_left_ = job.retries;
  }

  Result Run() {
    fd_ = socket(job_.local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Fail("socket");
    if (bind(fd_, reinterpret_cast<sockaddr*>(&job_.local), job_.addr_len) < 0) return Fail("bind");
    if (connect(fd_, reinterpret_cast<sockaddr*>(&job_.client), job_.addr_len) < 0) return Fail("connect");
    {
      std::lock_guard<std::mutex> lock(job_.abort_mutex);
      job_.fd = fd_;
    }

    if (!job_.oack.empty()) {
      acked_ = -1;
      SendRaw(job_.oack.data(), job_.oack.size());
      Arm();
    } else {
      Pump();
    }
    while (!done_) {
      if (job_.abort_requested.load()) {
        std::lock_guard<std::mutex> lock(job_.abort_mutex);
        if (!job_.abort_quietly) SendError(0, job_.abort_reason);
        Finish("aborted", job_.abort_reason);
        break;
      }
      ExpectWithin(deadline_ > 0 ? std::max<int64_t>(1, deadline_ - NowMs()) : 1000);
      Receive();
      if (!done_ && deadline_ > 0 && NowMs() >= deadline_) OnTimeout();
    }
    {
      std::lock_guard<std::mutex> lock(job_.abort_mutex);
      job_.fd = -1;
    }
    close(fd_);
    return result_;
  }

 private:
  Result Fail(const char* what) {
    int saved = errno;
    if (fd_ >= 0) close(fd_);
    result_.outcome = "aborted";
    result_.error = std::string(what) + ": " + strerror(saved);
    return result_;
  }

  // The receive timeout, set only when the wait it needs moves by more than a little: in a
  // steady transfer every ACK re-arms the same interval, and the setting stays as it is.
  void ExpectWithin(int64_t ms) {
    if (ms + 2 >= rcv_timeout_ms_ && ms <= rcv_timeout_ms_ + 2) return;
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0) rcv_timeout_ms_ = ms;
  }

  // One datagram, or the timeout (EAGAIN), or 0 bytes once an abort shut the socket down.
  void Receive() {
    uint8_t packet[516];
    ssize_t n = recv(fd_, packet, sizeof(packet), 0);
    // An ICMP error on the connected socket (ECONNREFUSED) means nothing more than a lost
    // packet would: the retransmission timer decides.
    if (n < 4) return;
    uint16_t op = static_cast<uint16_t>(packet[0] << 8 | packet[1]);
    uint16_t arg = static_cast<uint16_t>(packet[2] << 8 | packet[3]);
    if (op == kOpAck) {
      OnAck(arg);
    } else if (op == kOpError) {
      size_t len = strnlen(reinterpret_cast<char*>(packet + 4), static_cast<size_t>(n) - 4);
      Finish("client-error", "client sent error " + std::to_string(arg) + ": " + std::string(reinterpret_cast<char*>(packet + 4), len));
    }
  }

  void OnAck(uint16_t wire) {
    int64_t ahead = ((static_cast<int64_t>(wire) - acked_) % kBlockSpace + kBlockSpace) % kBlockSpace;
    if (ahead == 0) {
      // A repeated ACK. In lockstep it is never answered (the sorcerer's apprentice bug); with
      // a window it means a block was lost, so the window is resent once per ACK value.
      if (job_.windowsize > 1 && sent_highest_ > acked_ && fast_resent_for_ != acked_) {
        fast_resent_for_ = acked_;
        ResendOutstanding();
      }
      return;
    }
    if (ahead > sent_highest_ - acked_) return;  // stale, or for a block never sent
    acked_ += ahead;
    interval_ = job_.base_ms;
    retries_left_ = job_.retries;
    if (acked_ >= final_block_) {
      Finish("complete", "");
      return;
    }
    if (acked_ < sent_highest_) {
      ResendOutstanding();  // RFC 7440: an ACK inside the window restarts it after that block
    } else {
      deadline_ = 0;
    }
    Pump();
  }

  void OnTimeout() {
    deadline_ = 0;
    if (sent_highest_ <= acked_) return;
    if (retries_left_ <= 0) {
      Finish("timeout", "no acknowledgement after " + std::to_string(job_.retries) + " retransmissions");
      return;
    }
    retries_left_--;
    interval_ = std::min(interval_ * 2, std::max(job_.max_ms, job_.base_ms));
    ResendOutstanding();
  }

  // New blocks while the window has room.
  void Pump() {
    int64_t last = std::min(acked_ + static_cast<int64_t>(job_.windowsize), final_block_);
    if (last <= sent_highest_) return;
    int64_t first = sent_highest_ + 1;
    for (int64_t b = first; b <= last; b++) result_.bytes += PayloadLength(b);
    sent_highest_ = last;
    SendBlocks(first, last);
    Arm();
  }

  void ResendOutstanding() {
    if (sent_highest_ <= acked_) return;
    int64_t first = acked_ + 1;
    if (first == 0) {  // the OACK
      SendRaw(job_.oack.data(), job_.oack.size());
      result_.retransmissions++;
      first = 1;
    }
    if (first <= sent_highest_) {
      SendBlocks(first, sent_highest_);
      result_.retransmissions += static_cast<uint64_t>(sent_highest_ - first + 1);
    }
    Arm();
  }

  size_t PayloadLength(int64_t block) const {
    size_t offset = static_cast<size_t>(block - 1) * job_.blksize;
    return offset >= job_.size ? 0 : std::min<size_t>(job_.blksize, job_.size - offset);
  }

  // DATA blocks [first, last], each a 4-byte header plus its slice of the file, kMaxWindow per call.
  void SendBlocks(int64_t first, int64_t last) {
    while (first <= last) {
      size_t count = static_cast<size_t>(std::min<int64_t>(last - first + 1, kMaxWindow));
      uint8_t headers[kMaxWindow][4];
      iovec iov[kMaxWindow][2];
      mmsghdr msgs[kMaxWindow];
      memset(msgs, 0, sizeof(mmsghdr) * count);
      for (size_t i = 0; i < count; i++) {
        int64_t block = first + static_cast<int64_t>(i);
        uint16_t wire = static_cast<uint16_t>(block % kBlockSpace);
        headers[i][0] = 0;
        headers[i][1] = kOpData;
        headers[i][2] = static_cast<uint8_t>(wire >> 8);
        headers[i][3] = static_cast<uint8_t>(wire & 0xff);
        size_t offset = static_cast<size_t>(block - 1) * job_.blksize;
        iov[i][0] = {headers[i], 4};
        iov[i][1] = {const_cast<uint8_t*>(job_.data) + std::min(offset, job_.size), PayloadLength(block)};
        msgs[i].msg_hdr.msg_iov = iov[i];
        msgs[i].msg_hdr.msg_iovlen = 2;
      }
      // A full send queue or an ICMP error loses these blocks like the network would; the
      // retransmission timer covers both.
      size_t sent = 0;
      while (sent < count) {
        int n = sendmmsg(fd_, msgs + sent, static_cast<unsigned>(count - sent), MSG_DONTWAIT);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          if (n < 0 && errno == EAGAIN && WaitWritable()) continue;
          break;
        }
        sent += static_cast<size_t>(n);
      }
      first += static_cast<int64_t>(count);
    }
  }

  bool WaitWritable() {
    pollfd p = {fd_, POLLOUT, 0};
    return poll(&p, 1, 100) > 0;
  }

  void SendRaw(const uint8_t* bytes, size_t length) {
    while (send(fd_, bytes, length, MSG_DONTWAIT) < 0 && errno == EINTR) {
    }
  }

  void SendError(uint16_t code, const std::string& message) {
    std::vector<uint8_t> pkt = {0, static_cast<uint8_t>(kOpError), static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code & 0xff)};
    pkt.insert(pkt.end(), message.begin(), message.end());
    pkt.push_back(0);
    SendRaw(pkt.data(), pkt.size());
  }

  void Arm() { deadline_ = NowMs() + interval_; }

  void Finish(const char* outcome, const std::string& error) {
    done_ = true;
    result_.outcome = outcome;
    result_.error = error;
    result_.blocks = static_cast<uint64_t>(std::max<int64_t>(0, sent_highest_));
  }

  Job& job_;
  int fd_ = -1;
  int64_t acked_ = 0;
  int64_t sent_highest_ = 0;
  int64_t final_block_ = 1;
  int64_t fast_resent_for_ = -2;
  int64_t interval_ = 1000;
  int retries_left_ = 5;
  int64_t deadline_ = 0;
  int64_t rcv_timeout_ms_ = -10;  // none set yet
  bool done_ = false;
  Result result_;
};

// What a transfer thread owns: its job, the reference that keeps the file's bytes alive, and
// the way back to the event loop.
struct ThreadStart {
  std::shared_ptr<Job> job;
  Napi::Reference<Napi::Buffer<uint8_t>> bytes;
  Napi::ThreadSafeFunction on_end;
};

// Small stacks: a 32-bit board has room for hundreds of these, not for hundreds of 8 MB ones.
constexpr size_t kThreadStack = 256 * 1024;

void* RunTransfer(void* arg) {
  auto* start = static_cast<ThreadStart*>(arg);
  auto* result = new Result(Sender(*start->job).Run());
  Napi::ThreadSafeFunction on_end = start->on_end;
  // The report runs on the event loop, where the reference may be dropped.
  on_end.BlockingCall(result, [start](Napi::Env env, Napi::Function callback, Result* r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("outcome", r->outcome);
    out.Set("bytes", static_cast<double>(r->bytes));
    out.Set("blocks", static_cast<double>(r->blocks));
    out.Set("retransmissions", static_cast<double>(r->retransmissions));
    if (!r->error.empty()) out.Set("error", r->error);
    delete r;
    delete start;
    callback.Call({out});
  });
  on_end.Release();
  return nullptr;
}

uint32_t GetUint(const Napi::Object& o, const char* name, uint32_t fallback) {
  Napi::Value v = o.Get(name);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

// TftpTransfer(options, bytes, onEnd): starts at once; onEnd(result) is called once, on the
// event loop. `abort(reason, quietly)` ends it early, telling the phone why unless quietly.
class TftpTransfer : public Napi::ObjectWrap<TftpTransfer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TftpTransfer", {InstanceMethod<&TftpTransfer::Abort>("abort")});
  }

  TftpTransfer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TftpTransfer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsBuffer() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "TftpTransfer(options: object, bytes: Buffer, onEnd: function)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    auto bytes = info[1].As<Napi::Buffer<uint8_t>>();
    auto job = std::make_shared<Job>();
    socklen_t client_len = 0;
    std::string local = o.Get("address").ToString().Utf8Value();
    std::string client = o.Get("clientAddress").ToString().Utf8Value();
    if (!ParseIpAddress(local, 0, &job->local, &job->addr_len) || !ParseIpAddress(client, static_cast<uint16_t>(GetUint(o, "clientPort", 0)), &job->client, &client_len) ||
        client_len != job->addr_len) {
      Napi::TypeError::New(env, "TftpTransfer: address and clientAddress must be IP addresses of one family").ThrowAsJavaScriptException();
      return;
    }
    job->data = bytes.Data();
    job->size = bytes.Length();
    job->blksize = std::clamp<uint32_t>(GetUint(o, "blksize", 512), 8, 65464);
    job->windowsize = std::clamp<uint32_t>(GetUint(o, "windowsize", 1), 1, 65535);
    job->base_ms = GetUint(o, "timeoutMs", 1000);
    job->max_ms = GetUint(o, "maxTimeoutMs", 4000);
    job->retries = static_cast<int>(GetUint(o, "retries", 5));
    Napi::Value oack = o.Get("oack");
    if (oack.IsBuffer()) {
      auto b = oack.As<Napi::Buffer<uint8_t>>();
      job->oack.assign(b.Data(), b.Data() + b.Length());
    }
    job_ = job;

    // The bytes stay referenced until the end has been reported.
    auto* start = new ThreadStart{job, Napi::Persistent(bytes), Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "outpost-tftp-transfer", 0, 1)};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kThreadStack);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, RunTransfer, start);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      start->on_end.Release();
      delete start;
      Napi::Error::New(env, std::string("pthread_create: ") + strerror(rc)).ThrowAsJavaScriptException();
    }
  }

 private:
  Napi::Value Abort(const Napi::CallbackInfo& info) {
    if (!job_) return info.Env().Undefined();
    std::lock_guard<std::mutex> lock(job_->abort_mutex);
    job_->abort_reason = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "aborted";
    job_->abort_quietly = info.Length() > 1 && info[1].ToBoolean().Value();
    job_->abort_requested.store(true);
    if (job_->fd >= 0) shutdown(job_->fd, SHUT_RD);
    return info.Env().Undefined();
  }

  std::shared_ptr<Job> job_;
};

}  // namespace

void InitTftpSender(Napi::Env env, Napi::Object exports) {
  exports.Set("TftpTransfer", TftpTransfer::Define(env));
}

}  // namespace outpost

// A sending thread for a UDP socket the event loop owns and reads (the SIP port). Handing a
// datagram to the kernel on veth or Ethernet costs more than parsing and answering the
// request it answers: on its own thread that work runs on another core, in batches of up to
// 64 per sendmmsg(), while the event loop goes on to the next request. Datagrams leave in the
// order they were queued. Waking the thread is a futex call and often a context switch, so
// send() wakes it only every kWakeEvery datagrams and flush() (once per event-loop turn, from
// the TypeScript face, src/native/datagram-sender.ts) wakes it for the rest.
#include <napi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "datagram_sender.h"
#include "ip_address.h"

namespace outpost {
namespace {

constexpr size_t kBatch = 64;
constexpr size_t kWakeEvery = 16;
constexpr size_t kMaxQueued = 65536;  // beyond it a datagram is dropped (counted), as a full socket would

struct Datagram {
  sockaddr_storage to{};
  socklen_t to_len = 0;
  std::vector<uint8_t> bytes;
};

class DatagramSender : public Napi::ObjectWrap<DatagramSender> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DatagramSender",
                       {
                           InstanceMethod<&DatagramSender::Send>("send"),
                           InstanceMethod<&DatagramSender::Flush>("flush"),
                           InstanceMethod<&DatagramSender::Close>("close"),
                           InstanceAccessor<&DatagramSender::Stats>("stats"),
                       });
  }

  // DatagramSender(fd): fd stays the caller's; close() must come before the caller closes it.
  DatagramSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatagramSender>(info) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(info.Env(), "DatagramSender(fd: number)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    thread_ = std::thread([this] { Run(); });
  }

  ~DatagramSender() override { Stop(); }

 private:
  // send(bytes, port, address): queues one datagram; false when the address is not an IP
  // address or the queue is full. It may wait in the queue until flush().
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsNumber() || !info[2].IsString()) {
      Napi::TypeError::New(env, "send(bytes: Buffer, port: number, address: string)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto bytes = info[0].As<Napi::Buffer<uint8_t>>();
    uint16_t port = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    std::string address = info[2].As<Napi::String>().Utf8Value();
    Datagram d;
    if (!ParseIpAddress(address, port, &d.to, &d.to_len)) return Napi::Boolean::New(env, false);
    d.bytes.assign(bytes.Data(), bytes.Data() + bytes.Length());
    size_t queued;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || queue_.size() >= kMaxQueued) {
        dropped_++;
        return Napi::Boolean::New(env, false);
      }
      queue_.push_back(std::move(d));
      queued = queue_.size();
    }
    if (queued % kWakeEvery == 0) wake_.notify_one();
    return Napi::Boolean::New(env, true);
  }

  // flush(): hands everything queued to the thread now.
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    wake_.notify_one();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    std::lock_guard<std::mutex> lock(mutex_);
    out.Set("sent", static_cast<double>(sent_));
    out.Set("errors", static_cast<double>(errors_));
    out.Set("dropped", static_cast<double>(dropped_));
    return out;
  }

  // Sends what is queued, then stops: nothing queued before close() is lost.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void Run() {
    std::vector<Datagram> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything was sent
        while (!queue_.empty() && batch.size() < kBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      SendBatch(batch);
      batch.clear();
    }
  }

  void SendBatch(std::vector<Datagram>& batch) {
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    memset(msgs, 0, sizeof(mmsghdr) * batch.size());
    for (size_t i = 0; i < batch.size(); i++) {
      iov[i] = {batch[i].bytes.data(), batch[i].bytes.size()};
      msgs[i].msg_hdr.msg_name = &batch[i].to;
      msgs[i].msg_hdr.msg_namelen = batch[i].to_len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    uint64_t sent = 0;
    uint64_t errors = 0;
    while (done < batch.size()) {
      int n = sendmmsg(fd_, msgs + done, static_cast<unsigned>(batch.size() - done), 0);
      if (n > 0) {
        done += static_cast<size_t>(n);
        sent += static_cast<uint64_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {  // the event loop's socket is non-blocking
        pollfd p = {fd_, POLLOUT, 0};
        if (poll(&p, 1, 100) > 0) continue;
      }
      // This datagram cannot go (no route, ICMP error pending, full for 100 ms): skip it.
      errors++;
      done++;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    sent_ += sent;
    errors_ += errors;
  }

  int fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Datagram> queue_;
  bool stopping_ = false;
  uint64_t sent_ = 0;
  uint64_t errors_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace

void InitDatagramSender(Napi::Env env, Napi::Object exports) {
  exports.Set("DatagramSender", DatagramSender::Define(env));
}

}  // namespace outpost

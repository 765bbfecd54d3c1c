// The sending thread for the SIP UDP socket, part of Outpost's addon (see datagram_sender.cc).
#pragma once
#include <napi.h>

namespace outpost {
void InitDatagramSender(Napi::Env env, Napi::Object exports);
}

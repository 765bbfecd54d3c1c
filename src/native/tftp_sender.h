// The TFTP transfer threads' part of Outpost's addon (see tftp_sender.cc).
#pragma once
#include <napi.h>

namespace outpost {
void InitTftpSender(Napi::Env env, Napi::Object exports);
}

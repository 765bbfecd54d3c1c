{
  "targets": [
    {
      "target_name": "outpost_packet",
      "sources": ["src/native/packet_socket.cc", "src/native/tftp_sender.cc", "src/native/datagram_sender.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}

// The SCCP message table: id and field layout of every message Outpost understands, named as
// Wireshark's `skinny` dissector names them so decode output and tshark can be compared.
// Layouts were checked against real CUCM, CME and phone captures (test/fixtures/pcap/sccp).
// `basic` is the layout of protocol versions below 17; `modern` (when given) replaces it when the
// header version is 17 or above. `tail` fields are read only when the message is long enough:
// older phones and call managers send shorter versions of the same message.
import { bytes, ip46, ipv4, list, text, u16, u32, u8, vtext, type Fields } from './kinds.js';

export interface Shape {
  fields: Fields;
  tail?: Fields;
}

export interface Layout {
  id: number;
  basic: Shape;
  modern?: Shape;
  /** Header version from which `modern` applies, when not 17. */
  modernFrom?: number;
}

/** Header versions from which the `modern` layouts apply. */
export const MODERN_HEADER = 17;

const sid = { deviceName: text(16), reserved: u32, instance: u32 };
const lineCall = { lineInstance: u32, callReference: u32 };
/** The media encryption key block of protocol 17+ media messages (zero when unencrypted). */
const keyInfo = { encryptionKeyInfo: bytes(48) };
const mediaTail = { streamPassThroughId: u32, associatedStreamId: u32, rfc2833PayloadType: u32, dtmfType: u32, mixingMode: u32, partyDirection: u32 };

const capability = { payloadCapability: u32, maxFramesPerPacket: u32, codecParams: bytes(8) };

const startMediaBase = {
  conferenceId: u32, passThroughPartyId: u32, remoteIpAddr: ipv4, remotePortNumber: u32, milliSecondPacketSize: u32,
  compressionType: u32, precedenceValue: u32, ssValue: u32, maxFramesPerPacket: u16, padding: u16,
};
const openReceiveBase = { conferenceId: u32, passThroughPartyId: u32, milliSecondPacketSize: u32, compressionType: u32, ecValue: u32, g723BitRate: u32 };

function forwardStat(dirnum: number) {
  return {
    activeForward: u32, lineNumber: u32, forwardAllActive: u32, forwardAllDirnum: text(dirnum),
    forwardBusyActive: u32, forwardBusyDirnum: text(dirnum), forwardNoAnswerActive: u32, forwardNoAnswerDirnum: text(dirnum),
  };
}

export const LAYOUTS = {
  // station -> call manager
  KeepAliveReq: { id: 0x0000, basic: { fields: {} } },
  RegisterReq: {
    id: 0x0001,
    basic: {
      fields: { ...sid, stationIpAddr: ipv4, deviceType: u32, maxStreams: u32 },
      tail: {
        activeStreams: u32, protocolVersion: u8, unknown: u8, phoneFeatures: u16, maxConferences: u32, activeConferences: u32,
        macAddress: bytes(6), macPadding: bytes(6), ipV4AddressScope: u32, maxNumberOfLines: u32, stationIpV6Addr: bytes(16),
        ipV6AddressScope: u32, firmwareLoadName: text(32),
      },
    },
  },
  IpPort: { id: 0x0002, basic: { fields: { rtpMediaPort: u32 } } },
  KeypadButton: { id: 0x0003, basic: { fields: { kpButton: u32 }, tail: lineCall } },
  Stimulus: { id: 0x0005, basic: { fields: { stimulus: u32, stimulusInstance: u32 }, tail: { callReference: u32, stimulusStatus: u32 } } },
  OffHook: { id: 0x0006, basic: { fields: {}, tail: lineCall } },
  OnHook: { id: 0x0007, basic: { fields: {}, tail: lineCall } },
  ForwardStatReq: { id: 0x0009, basic: { fields: { lineNumber: u32 } } },
  SpeedDialStatReq: { id: 0x000a, basic: { fields: { speedDialNumber: u32 } } },
  LineStatReq: { id: 0x000b, basic: { fields: { lineNumber: u32 } } },
  ConfigStatReq: { id: 0x000c, basic: { fields: {} } },
  TimeDateReq: { id: 0x000d, basic: { fields: {} } },
  ButtonTemplateReq: { id: 0x000e, basic: { fields: {} } },
  VersionReq: { id: 0x000f, basic: { fields: {} } },
  CapabilitiesRes: { id: 0x0010, basic: { fields: { capCount: u32, caps: list('capCount', capability, 18) } } },
  Alarm: { id: 0x0020, basic: { fields: { alarmSeverity: u32, text: text(80), parm1: u32, parm2: u32 } } },
  OpenReceiveChannelAck: {
    id: 0x0022,
    basic: { fields: { mediaReceptionStatus: u32, ipAddr: ipv4, portNumber: u32, passThroughPartyId: u32 }, tail: { callReference: u32 } },
    modern: { fields: { mediaReceptionStatus: u32, ipAddr: ip46, portNumber: u32, passThroughPartyId: u32 }, tail: { callReference: u32 } },
  },
  SoftKeySetReq: { id: 0x0025, basic: { fields: {} } },
  SoftKeyEvent: { id: 0x0026, basic: { fields: { softKeyEvent: u32 }, tail: lineCall } },
  UnregisterReq: { id: 0x0027, basic: { fields: {} } },
  SoftKeyTemplateReq: { id: 0x0028, basic: { fields: {} } },
  RegisterTokenReq: { id: 0x0029, basic: { fields: { ...sid, stationIpAddr: ipv4, deviceType: u32 } } },
  HeadsetStatus: { id: 0x002b, basic: { fields: { headsetStatus: u32 } } },
  RegisterAvailableLines: { id: 0x002d, basic: { fields: { maxNumOfAvailLines: u32 } } },
  MediaPathEvent: { id: 0x0049, basic: { fields: { mediaPathID: u32, mediaPathEvent: u32 } } },
  MediaPathCapability: { id: 0x004a, basic: { fields: { mediaPathID: u32, mediaPathCapabilities: u32 } } },
  StartMediaTransmissionAck: {
    id: 0x0154,
    basic: { fields: { conferenceId: u32, passThroughPartyId: u32, callReference: u32, transmitIpAddr: ip46, portNumber: u32, mediaTransmissionStatus: u32 } },
  },
  EnhancedAlarm: { id: 0x015a, basic: { fields: { alarmInfo: vtext } } },

  // call manager -> station
  RegisterAck: {
    id: 0x0081,
    basic: {
      fields: { keepAliveInterval: u32, dateTemplate: text(6), alignmentPadding: u16 },
      tail: { secondaryKeepAliveInterval: u32, maxProtocolVer: u8, unknown: u8, phoneFeatures: u16 },
    },
  },
  StartTone: { id: 0x0082, basic: { fields: { tone: u32 }, tail: { toneDirection: u32, ...lineCall } } },
  StopTone: { id: 0x0083, basic: { fields: {}, tail: { ...lineCall, tone: u32 } } },
  SetRinger: { id: 0x0085, basic: { fields: { ringMode: u32 }, tail: { ringDuration: u32, ...lineCall } } },
  SetLamp: { id: 0x0086, basic: { fields: { stimulus: u32, stimulusInstance: u32, lampMode: u32 } } },
  SetSpeakerMode: { id: 0x0088, basic: { fields: { speakerMode: u32 } } },
  StartMediaTransmission: {
    id: 0x008a,
    basic: { fields: startMediaBase, tail: { g723BitRate: u32, callReference: u32 } },
    modern: {
      fields: { ...startMediaBase, remoteIpAddr: ip46, g723BitRate: u32, callReference: u32, ...keyInfo, ...mediaTail },
    },
  },
  StopMediaTransmission: { id: 0x008b, basic: { fields: { conferenceId: u32 }, tail: { passThroughPartyId: u32, callReference: u32, portHandlingFlag: u32 } } },
  CallInfo: {
    id: 0x008f,
    basic: {
      fields: { callingPartyName: text(40), callingParty: text(24), calledPartyName: text(40), calledParty: text(24) },
      tail: {
        ...lineCall, callType: u32, originalCalledPartyName: text(40), originalCalledParty: text(24),
        lastRedirectingPartyName: text(40), lastRedirectingParty: text(24), originalCdpnRedirectReason: u32, lastRedirectingReason: u32,
        cgpnVoiceMailbox: text(24), cdpnVoiceMailbox: text(24), originalCdpnVoiceMailbox: text(24), lastRedirectingVoiceMailbox: text(24),
        callInstance: u32, callSecurityStatus: u32, partyPIRestrictionBits: u32,
      },
    },
  },
  ForwardStatRes: {
    id: 0x0090,
    basic: { fields: forwardStat(24) },
    // From protocol 18 directory numbers are 25 bytes; CUCM pads the message to a multiple of 4.
    modern: { fields: { ...forwardStat(25), padding: bytes(1) } },
    modernFrom: 18,
  },
  SpeedDialStatRes: { id: 0x0091, basic: { fields: { speedDialNumber: u32, speedDialDirNumber: text(24), speedDialDisplayName: text(40) } } },
  LineStatRes: {
    id: 0x0092,
    basic: { fields: { lineNumber: u32, lineDirNumber: text(24) }, tail: { lineFullyQualifiedDisplayName: text(40), lineTextLabel: text(40), lineDisplayOptions: u32 } },
  },
  ConfigStatRes: { id: 0x0093, basic: { fields: { ...sid, userName: text(40), serverName: text(40), numberOfLines: u32, numberOfSpeedDials: u32 } } },
  TimeDateRes: {
    id: 0x0094,
    basic: { fields: { wYear: u32, wMonth: u32, wDayOfWeek: u32, wDay: u32, wHour: u32, wMinute: u32, wSecond: u32, wMilliseconds: u32, systemTime: u32 } },
  },
  ButtonTemplateRes: {
    id: 0x0097,
    basic: { fields: { buttonOffset: u32, buttonCount: u32, totalButtonCount: u32, definition: list('buttonCount', { instanceNumber: u8, buttonDefinition: u8 }, 42, 42) } },
  },
  VersionRes: { id: 0x0098, basic: { fields: { versionStr: text(16) } } },
  CapabilitiesReq: { id: 0x009b, basic: { fields: {} } },
  RegisterReject: { id: 0x009d, basic: { fields: { text: text(33) } } },
  Reset: { id: 0x009f, basic: { fields: { resetType: u32 } } },
  KeepAliveAck: { id: 0x0100, basic: { fields: {} } },
  OpenReceiveChannel: {
    id: 0x0105,
    basic: { fields: openReceiveBase, tail: { callReference: u32 } },
    modern: {
      fields: { ...openReceiveBase, callReference: u32, ...keyInfo, ...mediaTail, sourceIpAddr: ip46, sourcePortNumber: u32 },
      tail: { requestedIpAddrType: u32, audioLevelAdjustment: u32 },
    },
  },
  CloseReceiveChannel: { id: 0x0106, basic: { fields: { conferenceId: u32 }, tail: { passThroughPartyId: u32, callReference: u32, portHandlingFlag: u32 } } },
  SoftKeyTemplateRes: {
    id: 0x0108,
    basic: { fields: { softKeyOffset: u32, softKeyCount: u32, totalSoftKeyCount: u32, definition: list('softKeyCount', { softKeyLabel: text(16), softKeyEvent: u32 }, 32) } },
  },
  SoftKeySetRes: {
    id: 0x0109,
    basic: {
      fields: {
        softKeySetOffset: u32, softKeySetCount: u32, totalSoftKeySetCount: u32,
        definition: list('softKeySetCount', { softKeyTemplateIndex: bytes(16), softKeyInfoIndex: bytes(32) }, 16, 16),
      },
    },
  },
  SelectSoftKeys: { id: 0x0110, basic: { fields: { ...lineCall, softKeySetIndex: u32, validKeyMask: u32 } } },
  CallState: { id: 0x0111, basic: { fields: { callState: u32, ...lineCall }, tail: { privacy: u32, precedenceLevel: u32, precedenceDomain: u32 } } },
  DisplayPromptStatus: { id: 0x0112, basic: { fields: { timeOutValue: u32, promptStatus: text(32), ...lineCall } } },
  ClearPromptStatus: { id: 0x0113, basic: { fields: lineCall } },
  DisplayNotify: { id: 0x0114, basic: { fields: { timeOutValue: u32, notify: text(32) } } },
  ClearNotify: { id: 0x0115, basic: { fields: {} } },
  ActivateCallPlane: { id: 0x0116, basic: { fields: { lineInstance: u32 } } },
  UnregisterAck: { id: 0x0118, basic: { fields: { status: u32 } } },
  RegisterTokenAck: { id: 0x011a, basic: { fields: {} } },
  RegisterTokenReject: { id: 0x011b, basic: { fields: { waitTimeBeforeNextReq: u32 } } },
  ClearPriNotify: { id: 0x0121, basic: { fields: { priority: u32 } } },
  ConfigStatV2Res: { id: 0x0142, basic: { fields: { ...sid, numberOfLines: u32, numberOfSpeedDials: u32 }, tail: { userName: vtext, serverName: vtext } } },
  DisplayNotifyV2: { id: 0x0143, basic: { fields: { timeOutValue: u32 }, tail: { notify: vtext } } },
  DisplayPriNotifyV2: { id: 0x0144, basic: { fields: { timeOutValue: u32, priority: u32 }, tail: { notify: vtext } } },
  DisplayPromptStatusV2: { id: 0x0145, basic: { fields: { timeOutValue: u32, ...lineCall }, tail: { promptStatus: vtext } } },
  LineStatV2Res: {
    id: 0x0147,
    basic: { fields: { lineNumber: u32, lineType: u32 }, tail: { lineDirNumber: vtext, lineFullyQualifiedDisplayName: vtext, lineTextLabel: vtext } },
  },
  SpeedDialStatV2Res: { id: 0x0149, basic: { fields: { speedDialNumber: u32 }, tail: { speedDialDirNumber: vtext, speedDialDisplayName: vtext } } },
  CallInfoV2: {
    id: 0x014a,
    basic: {
      fields: {
        ...lineCall, callType: u32, originalCdpnRedirectReason: u32, lastRedirectingReason: u32, callInstance: u32,
        callSecurityStatus: u32, partyPIRestrictionBits: u32,
      },
      tail: {
        callingParty: vtext, alternateCallingParty: vtext, calledParty: vtext, originalCalledParty: vtext, lastRedirectingParty: vtext,
        cgpnVoiceMailbox: vtext, cdpnVoiceMailbox: vtext, originalCdpnVoiceMailbox: vtext, lastRedirectingVoiceMailbox: vtext,
        callingPartyName: vtext, calledPartyName: vtext, originalCalledPartyName: vtext, lastRedirectingPartyName: vtext,
      },
    },
  },
} satisfies Record<string, Layout>;

export type MessageName = keyof typeof LAYOUTS;

/** Names of messages Outpost relays without a layout (kept as raw bytes), for logs and `outpost decode`. */
export const OTHER_NAMES: Record<number, string> = {
  0x0004: 'EnblocCall', 0x0008: 'HookFlash', 0x0012: 'ServerReq', 0x0021: 'MulticastMediaReceptionAck', 0x0023: 'ConnectionStatisticsRes',
  0x0024: 'OffHookWithCallingPartyNumber', 0x002a: 'MediaTransmissionFailure', 0x002c: 'MediaResourceNotification',
  0x002e: 'DeviceToUserData', 0x002f: 'DeviceToUserDataResponse', 0x0030: 'UpdateCapabilities', 0x0033: 'ServiceURLStatReq',
  0x0034: 'FeatureStatReq', 0x0041: 'DeviceToUserDataVersion1', 0x0042: 'DeviceToUserDataResponseVersion1',
  0x0043: 'CapabilitiesV2Res', 0x0044: 'CapabilitiesV3Res', 0x0048: 'SubscriptionStatReq', 0x004c: 'MwiNotification',
  0x0087: 'SetHookFlashDetect', 0x0089: 'SetMicroMode', 0x008c: 'StartSessionTransmission', 0x008d: 'StopSessionTransmission',
  0x0099: 'DisplayText', 0x009a: 'ClearDisplay', 0x009e: 'ServerRes', 0x0107: 'ConnectionStatisticsReq',
  0x0117: 'DeactivateCallPlane', 0x011d: 'DialedNumber', 0x011e: 'UserToDeviceData', 0x011f: 'FeatureStatRes',
  0x0120: 'DisplayPriNotify', 0x013f: 'UserToDeviceDataVersion1', 0x0146: 'FeatureStatV2Res', 0x0148: 'ServiceURLStatV2Res',
  0x0159: 'AddOnDeviceCapabilities',
};

const byId = new Map<number, MessageName>(Object.entries(LAYOUTS).map(([name, l]) => [l.id, name as MessageName]));

export function layoutName(id: number): MessageName | undefined {
  return byId.get(id);
}

export function messageName(id: number): string {
  return byId.get(id) ?? OTHER_NAMES[id] ?? `Unknown(0x${id.toString(16).padStart(4, '0')})`;
}

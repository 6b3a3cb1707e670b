"""SIPp scenarios (XML) for the carrier and the agents' phones, generated per use.

Phones (UAS farms, one process per behaviour, many calls at once on one port): each answers
OPTIONS (Asterisk qualifies phones) and then plays its behaviour. Media: the farms echo RTP
(``-rtp_echo``), the carrier plays a generated A-law stream: so audio flows both ways and
Asterisk's per-channel RTP counters prove it.
"""

from __future__ import annotations

SDP = """v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
"""

_OPTIONS = """
  <recv request="OPTIONS" optional="true" next="options"/>"""

_OPTIONS_TAIL = """
  <label id="options"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]>
  </send>
"""


def _response(code: str, sdp: bool = False, extra: str = "", *, tag: bool = True) -> str:
    """A response to the last request; ``tag``: ours is added (not for in-dialog requests,
    whose To already carries it)."""
    body = SDP if sdp else ""
    ctype = "Content-Type: application/sdp\n" if sdp else ""
    to_tag = ";tag=[pid]SIPpTag01[call_number]" if tag else ""
    return f"""
  <send>
    <![CDATA[
SIP/2.0 {code}
[last_Via:]
[last_From:]
[last_To:]{to_tag}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
{extra}{ctype}Content-Length: [len]

{body}]]>
  </send>"""


def _wrap(name: str, body: str, used: str = "") -> str:
    # SIPp refuses a scenario whose variables are set but never read: <Reference> reads them.
    reference = f'\n  <Reference variables="{used}"/>' if used else ""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">{body}{reference}
</scenario>
"""


def _refresh(label: str, back: str) -> str:
    """Answer an in-dialog re-INVITE (then its ACK) or UPDATE (connected-line update, hold)
    with our SDP, then go back to ``back``."""
    return f"""
  <label id="{label}"/>""" + _response("200 OK", sdp=True, tag=False) + f"""
  <recv request="ACK"/>
  <nop next="{back}"/>
  <label id="{label}_update"/>""" + _response("200 OK", sdp=True, tag=False) + f"""
  <nop next="{back}"/>"""


def _bye_from_far_end() -> str:
    return """
  <label id="listen"/>
  <recv request="INVITE" optional="true" next="reinvite"/>
  <recv request="UPDATE" optional="true" next="reinvite_update"/>
  <recv request="BYE"/>""" + _response("200 OK", tag=False) + """
  <nop next="bye_done"/>""" + _refresh("reinvite", "listen") + """
  <label id="bye_done"/>"""


# An in-dialog request from the phone (the UAS): From/To swapped from the INVITE's.
_OUR_REQUEST_HEADERS = """Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From:[$invite_to];tag=[pid]SIPpTag01[call_number]
To:[$invite_from]
[last_Call-ID:]
Max-Forwards: 70"""


def uas(behaviour: str, *, answer_ms: int = 100, hangup_ms: int = 2000,
        refer_to: str = "", refer_ms: int = 1500, early_pcap: str = "",
        hold_first: bool = False) -> str:
    """An agent phone (or the outside world for 'pstn')."""
    invite = """
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="INVITE sip:[^@ ]*([0-9]{4})@" search_in="msg" assign_to="dummy,last"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="invite_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="invite_to"/>
    </action>
  </recv>"""
    ring = _response("180 Ringing")
    answer = (f"""
  <pause milliseconds="{answer_ms}"/>""" + _response("200 OK", sdp=True) + """
  <recv request="ACK"/>""")
    cancel = """
  <recv request="CANCEL"/>""" + _response("200 OK") + _response("487 Request Terminated") + """
  <recv request="ACK"/>"""
    if behaviour == "answer":
        steps = invite + ring + answer + _bye_from_far_end()
    elif behaviour == "noanswer":
        steps = invite + ring + cancel
    elif behaviour == "busy":
        steps = invite + _response("486 Busy Here") + """
  <recv request="ACK"/>"""
    elif behaviour == "decline":
        steps = invite + ring + """
  <pause milliseconds="300"/>""" + _response("603 Decline") + """
  <recv request="ACK"/>"""
    elif behaviour == "hangup":
        # Not a <pause>: Asterisk re-INVITEs the phone (connected line) while it waits, and
        # SIPp aborts a call on a message received during a pause.
        steps = invite + ring + answer + f"""
  <label id="wait"/>
  <recv request="INVITE" optional="true" next="reinvite" timeout="{hangup_ms}"
        ontimeout="hangup"/>
  <recv request="UPDATE" optional="true" next="reinvite_update"/>
  <recv request="BYE"/>""" + _response("200 OK", tag=False) + """
  <nop next="hung"/>""" + _refresh("reinvite", "wait") + """
  <label id="hangup"/>
  <send>
    <![CDATA[
BYE [next_url] SIP/2.0
""" + _OUR_REQUEST_HEADERS + """
CSeq: 2 BYE
Content-Length: 0

]]>
  </send>
  <recv response="200"/>
  <label id="hung"/>"""
    elif behaviour == "refer":
        steps = invite + ring + answer + (_hold() if hold_first else "") + _refer(
            refer_to, refer_ms, cseq=3 if hold_first else 2)
    elif behaviour == "pstn":
        steps = invite + _pstn_plan(answer, early_pcap)
    else:
        raise ValueError(behaviour)
    return _wrap(f"phone-{behaviour}", _OPTIONS + steps + """
  <nop next="end"/>""" + _OPTIONS_TAIL + """
  <label id="end"/>""", used="dummy,last,invite_from,invite_to")


def _pstn_plan(answer: str, early_pcap: str = "") -> str:
    """The outside world by the number's last four digits: ...0486 busy, ...0183 early media
    (183, then audio: ``early_pcap`` when given, an announcement) then answer, ...0404 not
    found, ...0408 never answers; others answer."""
    announce = (f"""
  <nop><action><exec play_pcap_audio="{early_pcap}"/></action></nop>""" if early_pcap else "")
    tests = "".join(f"""
      <strcmp assign_to="is{d}" variable="last" value="{d}"/>
      <test assign_to="d{d}" variable="is{d}" compare="equal" value="0"/>"""
                    for d in ("0486", "0183", "0404", "0408"))
    return f"""
  <nop>
    <action>{tests}
    </action>
  </nop>
  <nop next="busy" test="d0486"/>
  <nop next="early" test="d0183"/>
  <nop next="notfound" test="d0404"/>
  <nop next="never" test="d0408"/>""" + _response("180 Ringing") + answer + """
  <nop next="talk"/>
  <label id="early"/>""" + _response("183 Session Progress", sdp=True) + announce + """
  <pause milliseconds="2500"/>""" + _response("200 OK", sdp=True) + """
  <recv request="ACK"/>
  <nop next="talk"/>
  <label id="busy"/>""" + _response("486 Busy Here") + """
  <recv request="ACK"/>
  <nop next="end"/>
  <label id="notfound"/>""" + _response("404 Not Found") + """
  <recv request="ACK"/>
  <nop next="end"/>
  <label id="never"/>""" + _response("180 Ringing") + """
  <recv request="CANCEL"/>""" + _response("200 OK") + _response("487 Request Terminated") + """
  <recv request="ACK"/>
  <nop next="end"/>
  <label id="talk"/>""" + _bye_from_far_end()


def _hold() -> str:
    """The phone holds its call, as a phone does before dialling a consultation: a re-INVITE
    whose SDP only sends."""
    held = SDP.replace("a=ptime:20\n", "a=ptime:20\na=sendonly\n")
    return """
  <send retrans="500">
    <![CDATA[
INVITE [next_url] SIP/2.0
""" + _OUR_REQUEST_HEADERS + """
CSeq: 2 INVITE
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + held + """]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
""" + _OUR_REQUEST_HEADERS + """
CSeq: 2 ACK
Content-Length: 0

]]>
  </send>"""


def _refer(refer_to: str, after_ms: int, *, cseq: int = 2) -> str:
    """Talk ``after_ms``, then press the transfer key: REFER to ``refer_to``, answer every
    NOTIFY of its progress, and wait for Asterisk's BYE (the transferred phone is done).
    Waits are receives with a timeout, not <pause>: Asterisk re-INVITEs or UPDATEs the phone
    (connected line, hold) at any time, and SIPp aborts a call on a message during a pause."""
    return f"""
  <label id="talk"/>
  <recv request="INVITE" optional="true" next="t_reinvite" timeout="{after_ms}"
        ontimeout="refer"/>
  <recv request="UPDATE" optional="true" next="t_reinvite_update"/>
  <recv request="BYE" next="referred"/>""" + _refresh("t_reinvite", "talk") + """
  <label id="refer"/>
  <send retrans="500">
    <![CDATA[
REFER [next_url] SIP/2.0
""" + _OUR_REQUEST_HEADERS + f"""
CSeq: {cseq} REFER
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Refer-To: <{refer_to}>
Referred-By: <sip:[local_ip]:[local_port]>
Content-Length: 0

]]>
  </send>
  <recv response="202"/>
  <label id="progress"/>
  <recv request="NOTIFY" optional="true" next="notified"/>
  <recv request="INVITE" optional="true" next="p_reinvite"/>
  <recv request="UPDATE" optional="true" next="p_reinvite_update"/>
  <recv request="BYE" timeout="40000" next="referred"/>
  <label id="notified"/>""" + _response("200 OK", tag=False) + """
  <nop next="progress"/>""" + _refresh("p_reinvite", "progress") + """
  <label id="referred"/>""" + _response("200 OK", tag=False)


def carrier(*, hold_ms: int, pcap: str, service_header: str = "") -> str:
    """A carrier's call: INVITE with SDP (caller number and name from the injection file),
    talk (RTP from ``pcap``) until the far end hangs up or ``hold_ms`` passes, then BYE.
    Logs one line per call: ``<number> <answered|failed:<code>> <far_bye|near_bye>``."""
    return _wrap("carrier", f"""
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
{service_header}Content-Type: application/sdp
Content-Length: [len]

{SDP}]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true" rtd="true">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/></action>
  </recv>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to_hdr]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <nop><action><exec play_pcap_audio="{pcap}"/><log message="[field0] answered"/></action></nop>
  <label id="talk"/>
  <!-- SIPp waits on the first of a group of recvs: the hold timer must be on it -->
  <recv request="INVITE" optional="true" next="reinvite" timeout="{hold_ms}" ontimeout="hangup"/>
  <recv request="UPDATE" optional="true" next="reinvite_update"/>
  <recv request="BYE" timeout="{hold_ms}" ontimeout="hangup"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
  <nop next="done"><action><log message="[field0] far_bye"/></action></nop>""" + _refresh(
        "reinvite", "talk") + """
  <label id="hangup"/>
  <send retrans="500">
    <![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$to_hdr]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <recv response="200"/>
  <nop><action><log message="[field0] near_bye"/></action></nop>
  <label id="done"/>""")


def register(ext: str, password: str, expires_s: int = 3600) -> str:
    """A phone registering as ``ext`` with digest authentication (the sample's phones are
    found by their registration, not by a contact the configuration names)."""
    def request(cseq: int, auth: str) -> str:
        return f"""
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{ext}@[remote_ip]:[remote_port]>;tag=[pid]reg[call_number]
To: <sip:{ext}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:{ext}@[local_ip]:[local_port];transport=[transport]>
Expires: {expires_s}
Max-Forwards: 70
{auth}Content-Length: 0

]]>
  </send>"""
    return _wrap(f"register-{ext}", request(1, "") + """
  <recv response="401" auth="true"/>""" + request(
        2, f"[authentication username={ext} password={password}]\n") + """
  <recv response="200"/>""")


def stranger_invite(user: str) -> str:
    """An INVITE that claims to come from ``user`` (the trunk's name) from an address the
    trunk is not identified by: it must be refused (401/403), never reach the dialplan."""
    return _wrap("stranger", f"""
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:{user}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{SDP}]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="401" optional="true" next="r401"/>
  <recv response="407" optional="true" next="r407"/>
  <recv response="403" next="r403"/>""" + "".join(f"""
  <label id="r{code}"/>
  <nop next="refused"><action><log message="refused {code}"/></action></nop>"""
                                                  for code in ("401", "407", "403")) + f"""
  <label id="refused"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
""")


def phone_dials(ext: str, password: str, hold_ms: int = 2000, pcap: str = "") -> str:
    """A phone of the sample (``ext``) dialling [service]: INVITE, digest challenge, INVITE
    with credentials, talk ``hold_ms`` (playing ``pcap`` when given), BYE. Logs ``dialled
    answered`` once through."""
    play = f'<exec play_pcap_audio="{pcap}"/>' if pcap else ""
    def invite(cseq: int, auth: str) -> str:
        return f"""
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{ext}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag09[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} INVITE
Contact: <sip:{ext}@[local_ip]:[local_port]>
Max-Forwards: 70
{auth}Content-Type: application/sdp
Content-Length: [len]

{SDP}]]>
  </send>"""

    def request(method: str, cseq: int, to: str) -> str:
        return f"""
  <send>
    <![CDATA[
{method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:{ext}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag09[call_number]
{to}
Call-ID: [call_id]
CSeq: {cseq} {method}
Max-Forwards: 70
Content-Length: 0

]]>
  </send>"""

    return _wrap(f"dial-{ext}", invite(1, "") + """
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>""" + request("ACK", 1, "[last_To:]") + invite(
        2, f"[authentication username={ext} password={password}]\n") + """
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true">
    <!-- Here, not in a <nop> after the ACK: Asterisk's re-INVITE follows the ACK within a
         millisecond, and SIPp finds a message arriving at a <nop> unexpected. -->
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>""" + play + """
      <log message="dialled answered"/></action>
  </recv>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:""" + ext + """@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag09[call_number]
To: [$to_hdr]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <label id="talk"/>
  <!-- Not a <pause>: Asterisk re-INVITEs the phone (connected line) once it is bridged,
       and SIPp aborts a call on a message received during a pause. -->
  <recv request="INVITE" optional="true" next="reinvite" timeout=\"""" + str(hold_ms) + """\"
        ontimeout="hangup"/>
  <recv request="UPDATE" optional="true" next="reinvite_update"/>
  <recv request="BYE"/>""" + _response("200 OK", tag=False) + """
  <nop next="end"><action><log message="dialled far_bye"/></action></nop>""" + _refresh(
        "reinvite", "talk") + """
  <label id="hangup"/>
  <send retrans="500">
    <![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:""" + ext + """@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag09[call_number]
To: [$to_hdr]
Call-ID: [call_id]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <recv response="200"/>
  <label id="end"/>""")

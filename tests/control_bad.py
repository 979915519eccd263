#!/usr/bin/env python3
"""The control socket against bad clients (tests/control.sh).  A running
guest NAME (a busy one: its port exits keep counting) gets malformed JSON,
unknown commands, a 1 MiB line, a half line and a stall, 100 clients at
once, clients that leave mid-reply; each must get an error reply or be
dropped, the guest must go on, and lguest's descriptors must come back to
what they were.  Prints "ok   ..." / "FAIL ..." lines.
   control_bad.py SOCKET PID"""
import json, os, socket, sys, time

SOCK, PID = sys.argv[1], int(sys.argv[2])

def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "\n     " + str(detail)))

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(SOCK)
    return s

def lines(s, n=1):
    buf = b""
    while buf.count(b"\n") < n:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return [json.loads(l) for l in buf.split(b"\n")[:n] if l]

def ask(s, req):
    s.sendall(req)
    return lines(s)[0]

def stat():
    s = connect()
    lines(s)
    r = ask(s, b'{"cmd":"stat"}\n')
    s.close()
    return r

def fds():
    return len(os.listdir("/proc/%d/fd" % PID))

before, io0 = fds(), stat()["vcpu0_io"]
s = connect()
hello = lines(s)[0]
check("greeting: the protocol version, the guest's name and state",
      hello.get("lguest") == 1 and hello.get("state") == "running" and hello.get("pid") == PID, hello)
bad = {b'{"cmd":"stat"\n': "no closing brace", b'{"cmd":stat}\n': "an unquoted value",
       b'not json\n': "not JSON", b'{"cmd":"stat"}}\n': "two closing braces", b'[1,2]\n': "an array",
       b'{"cmd":"st\\u0061t"}\n': "a \\u escape", b'\n': "an empty line", b'{"cmd":"stat","cmd":{}}\n': "a nested object"}
for req, what in bad.items():
    r = ask(s, req)
    check("malformed request (%s): an error reply" % what, r.get("ok") is False and "error" in r, r)
for t in (b"1e300", b"-1e300", b"nan", b"inf", b"0"):    # refused before it is made a time_t (UBSan)
    r = ask(s, b'{"cmd":"stop","timeout":' + t + b'}\n')
    check("stop with timeout %s: an error reply" % t.decode(), r.get("ok") is False and "error" in r, r)
r = ask(s, b'{"cmd":"reboot"}\n')
check("unknown command: an error reply naming the commands", r.get("ok") is False and "stat" in r.get("error", ""), r)
r = ask(s, b'  {  "cmd" : "stat" , "timeout" : 5 }  \r\n')
check("spaces between the tokens, a timeout, CRLF: still a request", r.get("ok") is True, r)
check("...and the connection still answers after the errors", ask(s, b'{"cmd":"stat"}\n').get("ok") is True)
s.close()

s = connect()
lines(s)
try:
    s.sendall(b'{"cmd":"' + b"x" * (1 << 20))
except (ConnectionResetError, BrokenPipeError):
    pass                              # it stopped reading: fine
try:
    got = s.recv(65536)
    while True:                       # the error, then the end
        d = s.recv(65536)
        if not d:
            break
        got += d
    dropped = True
except (ConnectionResetError, BrokenPipeError):
    got, dropped = b"", True
except socket.timeout:
    dropped = False
# (Closed with the rest of the line unread, the socket resets: the error
# reply may be lost on the way; what arrives must be that error.)
check("a 1 MiB line: dropped (after an error reply, if it arrives)", dropped and (not got or b"longer than" in got), got[:200])
s.close()

stall = connect()
lines(stall)
stall.sendall(b'{"cmd":"st')        # half a line, then nothing
r = stat()
check("a client that sends half a line and stalls: others are still served", r.get("ok") is True, r)
time.sleep(1.2)                     # idle for more than a second: its slot may go
hold = []
for i in range(16):                 # every slot taken (each greeted: accepted), one more
    hold.append(connect())
    lines(hold[-1], 1)
try:
    left = stall.recv(100)            # its slot went to another client after a second, when all were taken
except socket.timeout:
    left = None
check("the stalled client lost its slot to those waiting (dropped)", left == b"", left)
for c in hold:
    c.close()

many, answers = [], {"reply": 0, "refused": 0, "dropped": 0}
for i in range(100):
    try:
        many.append(connect())
    except OSError:
        answers["dropped"] += 1
for c in many:
    try:
        c.sendall(b'{"cmd":"stat"}\n')
        got = lines(c, 2)
        if any(g.get("error") == "too many clients" for g in got):
            answers["refused"] += 1
        elif len(got) == 2 and got[1].get("ok"):
            answers["reply"] += 1
        else:
            answers["dropped"] += 1
    except (OSError, ValueError):
        answers["dropped"] += 1
    c.close()
check("100 clients at once: each has a reply, an error or is dropped; some served (%s)" % answers,
      sum(answers.values()) == 100 and answers["reply"] > 0, answers)

stall.close()

for i in range(50):                 # ask, and leave before the answer
    c = connect()
    c.sendall(b'{"cmd":"stat"}\n')
    c.close()
time.sleep(0.3)
r = stat()
check("50 clients that left mid-reply: the guest still answers", r.get("ok") is True, r)
time.sleep(0.2)
io1 = stat()["vcpu0_io"]
check("the guest went on through all of it (port exits %d -> %d)" % (io0, io1), io1 > io0)
time.sleep(0.3)
check("no descriptor leaked (%d before, %d after)" % (before, fds()), fds() == before, os.listdir("/proc/%d/fd" % PID))

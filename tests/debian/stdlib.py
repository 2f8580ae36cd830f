# Imports json, re, hashlib, zlib and threading and does real work with each.
import hashlib
import json
import re
import sys
import threading
import zlib

data = [{"id": i, "name": f"item{i}", "tags": ["t%d" % (i % 5), "x"], "price": i * 1.25,
         "ok": i % 3 == 0, "none": None, "nested": {"sq": i * i, "uni": "caf\u00e9 \u2603"}} for i in range(100)]
text = json.dumps(data, sort_keys=True)
print(len(text), text[:120])
back = json.loads(text)
print(back == data, sum(d["nested"]["sq"] for d in back), json.dumps(back[7], indent=2, sort_keys=True, ensure_ascii=False))
print(json.dumps({"f": [0.1, 1e300, -0.0, 12345678901234567890, float("1.5e-7")], "s": "\"\\\n\t"}))
try:
    json.loads('{"a": [1, 2,, 3]}')
except json.JSONDecodeError as e:
    print("JSONDecodeError", e.msg, e.pos)

log = "\n".join(f"2024-01-{d:02d} 12:{m:02d}:00 user{d * m % 17}@example.org GET /path/{d}/{m}?q={d * m} {200 + (d * m) % 3 * 100}"
                for d in range(1, 29) for m in range(0, 60, 7))
pat = re.compile(r"^(\d{4})-(\d\d)-(\d\d) [\d:]+ (?P<user>\w+)@([\w.]+) (GET|POST) (\S+) (?P<status>\d{3})$", re.M)
matches = pat.findall(log)
print(len(matches), matches[0], matches[-1])
stats = {}
for m in pat.finditer(log):
    stats[m.group("status")] = stats.get(m.group("status"), 0) + 1
print(sorted(stats.items()))
print(re.sub(r"user(\d+)", lambda m: "U" + str(int(m.group(1)) * 2), "user3 user11 nouser"), re.split(r"[,;]\s*", "a, b;c ,d"))
print(re.fullmatch(r"(?i)[a-z]+(?=\d)\d+", "Abc123") is not None, re.search(r"(\w)\1", "hello").span(), re.escape("a.b*c"))

h = hashlib.sha256()
for chunk in range(10):
    h.update(bytes((chunk * 7 + j) % 256 for j in range(1000)))
print(h.hexdigest())
print(hashlib.md5(b"mimic").hexdigest(), hashlib.sha1(text.encode()).hexdigest())
print(hashlib.sha512(b"abc").hexdigest()[:32], hashlib.blake2b(b"abc", digest_size=16).hexdigest(), hashlib.sha3_256(b"").hexdigest()[:16])
print(hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 100).hex())

raw = (text * 2).encode()
comp = zlib.compress(raw, 9)
print(len(raw), len(comp), zlib.crc32(raw), zlib.adler32(raw), zlib.decompress(comp) == raw)
co = zlib.compressobj(6, zlib.DEFLATED, -15)
stream = co.compress(raw[:50000]) + co.compress(raw[50000:]) + co.flush()
do = zlib.decompressobj(-15)
print(len(stream), do.decompress(stream) == raw, zlib.compress(b"hello" * 100, 1).hex()[:40])

results = [None] * 4
lock = threading.Lock()
counter = [0]
def work(k):
    acc = hashlib.sha256()
    total = 0
    for i in range(200):
        total += (i * k) % 7
        acc.update(str(i * k).encode())
        with lock:
            counter[0] += 1
    results[k] = (k, total, acc.hexdigest()[:12])
threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counter[0], results)
ev = threading.Event()
cond_out = []
def waiter():
    ev.wait()
    cond_out.append("woken")
t = threading.Thread(target=waiter)
t.start(); ev.set(); t.join()
sem = threading.Semaphore(2)
with sem:
    print(cond_out, threading.active_count(), sem.acquire(blocking=False), sem.acquire(blocking=False))
sys.stdout.flush()

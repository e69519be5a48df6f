#!/usr/bin/env bash
# Photo upload benchmark: starts a release build of newsdesk on a loopback port with a fresh
# database, uploads a generated 1600×1200 JPEG N times one after another (each upload makes
# every rendition before it answers), then 8 at once, and reports the time per upload, the
# server's peak resident memory (VmHWM from /proc) and how long serving a rendition takes
# next to serving the original.
#
# Usage: bench/photos.sh [N]        (N sequential uploads, default 10)
# Needs: curl, python3 with Pillow (Debian: apt-get install python3-pil) to make the JPEG.
# Set SKIP_BUILD=1 to reuse target/release/newsdesk.
set -euo pipefail

N="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${NEWSDESK_BIN:-$ROOT/target/release/newsdesk}"

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && nice -n 10 cargo build --release --quiet)
fi
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import PIL' 2>/dev/null; then
  # Debian's python3-pil installs for the system interpreter, which may not be first on PATH.
  if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then PY=/usr/bin/python3; else
    echo "python3 with Pillow is needed (apt-get install python3-pil)" >&2; exit 2; fi
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$WORK/bench.db"
export NEWSDESK_MEDIA_DIR="$WORK/media"
export NEWSDESK_BIND="127.0.0.1:0"
export NEWSDESK_DEMO=false
export NEWSDESK_RATE_LIMIT=0
export NEWSDESK_LOGIN_RATE_LIMIT=0
export NEWSDESK_JWT_SECRET="bench-secret-that-is-long-enough-0123456789abcdef"
export NEWSDESK_ADMIN_EMAIL="bench@example.org"
export NEWSDESK_ADMIN_PASSWORD="bench password long enough"
export NEWSDESK_LOG_FORMAT="${NEWSDESK_LOG_FORMAT:-json}"

"$BIN" serve > "$WORK/server.out" 2> "$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
  sleep 0.1
done
ADDRESS="$(sed -n 's/^newsdesk listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/server.out" | head -1)"
[ -n "$ADDRESS" ] || { echo "the server did not start" >&2; cat "$WORK/server.err" >&2; exit 1; }

"$PY" - "$ADDRESS" "$N" "$SERVER_PID" "$WORK" <<'PY'
import io, json, random, sys, threading, time, urllib.request
from PIL import Image, ImageDraw, ImageFilter

address, n, pid, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def vm(field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0

# A photo-like 1600×1200 JPEG: shapes and noise, so the encoders have real work.
random.seed(7)
img = Image.new("RGB", (1600, 1200), (90, 120, 160))
draw = ImageDraw.Draw(img)
for _ in range(400):
    x, y = random.randrange(1600), random.randrange(1200)
    r = random.randrange(10, 160)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(random.randrange(256) for _ in range(3)))
img = img.filter(ImageFilter.GaussianBlur(2))
noise = Image.effect_noise((1600, 1200), 24).convert("RGB")
img = Image.blend(img, noise, 0.15)
buffer = io.BytesIO()
img.save(buffer, "JPEG", quality=90)
jpeg = buffer.getvalue()

def call(method, path, body=None, headers=None):
    request = urllib.request.Request(address + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()

_, token = call("POST", "/v1/auth/token",
                json.dumps({"email": "bench@example.org", "password": "bench password long enough"}).encode(),
                {"content-type": "application/json"})
auth = "Bearer " + json.loads(token)["access_token"]
boundary = "benchboundary"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
headers = {"authorization": auth, "content-type": f"multipart/form-data; boundary={boundary}"}

def upload():
    status, answer = call("POST", "/v1/media", body, headers)
    assert status == 201, status
    return json.loads(answer)

print(f"upload: {len(jpeg)} byte 1600x1200 JPEG")
print(f"server RSS after start: {vm('VmRSS'):.1f} MiB")
times = []
for _ in range(n):
    started = time.perf_counter()
    media = upload()
    times.append(time.perf_counter() - started)
print(f"sequential uploads: {n}, renditions per upload: {len(media['renditions'])}")
print(f"  per upload: mean {sum(times)/len(times):.3f} s, best {min(times):.3f} s, worst {max(times):.3f} s")

threads, errors, started = [], [], time.perf_counter()
def worker():
    try:
        upload()
    except Exception as e:  # reported below
        errors.append(e)
for _ in range(8):
    t = threading.Thread(target=worker)
    t.start()
    threads.append(t)
for t in threads:
    t.join()
print(f"8 concurrent uploads: {time.perf_counter() - started:.3f} s wall, errors: {len(errors)}")
print(f"server peak RSS (VmHWM): {vm('VmHWM'):.1f} MiB")

def serve(path, rounds=50):
    started = time.perf_counter()
    for _ in range(rounds):
        status, data = call("GET", path, headers={"authorization": auth})
        assert status == 200
    return (time.perf_counter() - started) / rounds * 1000, len(data)

mid = media["id"]
original_ms, original_len = serve(f"/v1/media/{mid}/file")
rendition_ms, rendition_len = serve(f"/v1/media/{mid}/file?w=640")
crop_first = time.perf_counter(); call("GET", f"/v1/media/{mid}/file?w=320&h=320", headers={"authorization": auth})
crop_first = (time.perf_counter() - crop_first) * 1000
crop_ms, _ = serve(f"/v1/media/{mid}/file?w=320&h=320")
print(f"serving the original ({original_len} bytes): {original_ms:.2f} ms per request")
print(f"serving the 640 rendition ({rendition_len} bytes): {rendition_ms:.2f} ms per request")
print(f"320x320 crop: first {crop_first:.1f} ms (made), then {crop_ms:.2f} ms per request (cached)")
PY

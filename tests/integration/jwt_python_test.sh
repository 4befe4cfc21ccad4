#!/usr/bin/env bash
# Acceptance 2 (offline half): a bootgate verdict JWT verifies with an independent JWT
# implementation (Debian's python3-jwt, PyJWT) given only the JWKS. sign_verdict_tool signs a
# verdict, rotates the keys and signs another; PyJWT must accept both with the JWKS alone,
# pick the key by kid, and refuse an altered token. (Fetching the JWKS over HTTP from
# bootgated's /.well-known/jwks.json is tested with the server.)
set -euo pipefail
tool="${BOOTGATE_BINARY_DIR:?}/tests/unit/sign_verdict_tool"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$tool" "$work"

# Debian's interpreter: python3-jwt (and python3-cryptography, which it needs for ES256)
# are installed for it, not for a python3 that PATH may put first (pyenv).
"${BOOTGATE_PYTHON:-/usr/bin/python3}" - "$work" <<'PY'
import base64, json, sys
import jwt
from jwt import PyJWKSet

work = sys.argv[1]
jwks = PyJWKSet.from_json(open(f"{work}/jwks.json").read())
keys = {k.key_id: k for k in jwks.keys}
assert len(keys) == 2, f"expected the active and the retired key, got {list(keys)}"

def verify(token):
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, keys[kid].key, algorithms=["ES256"],
                      options={"require": ["exp", "iat"]})

for name, eligible, status in (("verdict", True, "warning"), ("old", False, "contraindicated")):
    token = open(f"{work}/{name}.jwt").read()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "JWT", header
    claims = verify(token)
    assert claims["eat_profile"] == "tag:github.com,2023:veraison/ear", claims
    assert claims["bootgate.host"] == "host-a"
    assert claims["bootgate.placement_eligible"] is eligible
    sub = claims["submods"]["host-a"]
    assert sub["ear.status"] == status, sub
    assert sub["ear.appraisal-policy-id"] == "fleet@7"
    nonce = base64.urlsafe_b64decode(claims["eat_nonce"] + "==")
    assert nonce == b"\x42" * 32
    print(f"{name}.jwt: verified with kid {header['kid']}: {sub['ear.status']}")

# The first key in the JWKS is the active one: it signed verdict.jwt, not old.jwt.
first = json.load(open(f"{work}/jwks.json"))["keys"][0]["kid"]
assert jwt.get_unverified_header(open(f"{work}/verdict.jwt").read())["kid"] == first
assert jwt.get_unverified_header(open(f"{work}/old.jwt").read())["kid"] != first

# An altered claim set must not verify.
token = open(f"{work}/verdict.jwt").read()
h, p, s = token.split(".")
claims = json.loads(base64.urlsafe_b64decode(p + "=="))
claims["bootgate.placement_eligible"] = False
forged = h + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + s
try:
    verify(forged)
except jwt.InvalidSignatureError:
    print("altered verdict refused")
else:
    sys.exit("an altered verdict verified")
PY
echo "jwt_python_test: ok"

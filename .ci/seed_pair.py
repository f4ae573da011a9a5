#!/usr/bin/env python3
"""Seeds a running Kept with a paired space for the API fuzzer and prints shell assignments:
ACCESS (Ada's access token), SPACE and one id of each kind of item, so that the fuzzer's
requests reach real rows as well as the ones it makes up."""

import json
import sys
import urllib.request

BASE = sys.argv[1]


def call(method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


def register(email, name):
    body = {"email": email, "password": "correct horse battery",
            "display_name": name, "time_zone": "Europe/Berlin"}
    return call("POST", "/api/v1/auth/register", body=body)["access_token"]


ada = register("ada@example.org", "Ada")
ben = register("ben@example.org", "Ben")
space = call("POST", "/api/v1/spaces", ada, {"name": "Us"})["id"]
code = call("POST", f"/api/v1/spaces/{space}/invites", ada, {})["code"]
call("POST", f"/api/v1/invites/{code}/accept", ben)
s = f"/api/v1/spaces/{space}"
request = call("POST", f"{s}/requests", ben, {"text": "I need us to talk on Sundays."})["id"]
commitment = call("POST", f"{s}/commitments", ada, {
    "text": "Phone away at dinner", "schedule": {"kind": "daily", "at": "21:00"}})["id"]
talk = call("POST", f"{s}/talks", ada, {
    "title": "Sunday talk", "mode": "in_person", "starts_at": "2030-01-06T18:00:00Z",
    "duration_minutes": 60, "cadence": "weekly", "use_template": True})["id"]
note = call("POST", f"{s}/notes", ben, {"kind": "gratitude", "text": "Thank you for dinner."})["id"]
check_in = call("POST", f"{s}/check-ins", ada, {"text": "Calmer today.", "mood": "calm"})["id"]
activity = call("POST", f"{s}/activities", ben, {"title": "A walk by the river"})["id"]
weekly = call("POST", f"{s}/weekly", ben, {})["id"]
for key, value in [("ACCESS", ada), ("SPACE", space), ("REQUEST", request),
                   ("COMMITMENT", commitment), ("TALK", talk), ("NOTE", note),
                   ("CHECK_IN", check_in), ("ACTIVITY", activity), ("WEEKLY", weekly)]:
    print(f"{key}={value}")

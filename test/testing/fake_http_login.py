#!/usr/bin/env python3
"""A WeChat login against FakeWechat from Python's standard library alone, driving the fake
through its HTTP control API: a full login, a code expired by advancing the fake's clock,
and an injected fault. Usage: python3 fake_http_login.py http://127.0.0.1:8788"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

FAKE = sys.argv[1].rstrip("/")
APP = {"appId": "wx0000000000000009", "appSecret": "python-secret-0001",
       "kind": "official-account", "authorizedDomains": ["app.example.com"]}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(FAKE + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    try:
        with opener.open(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:  # a refused control call answers 400
        return error.code, error.read().decode()


def control(method, route, body=None):
    status, text = call(method, "/__fake/" + route, body)
    assert status == 200, f"{method} /__fake/{route}: {status} {text}"
    return json.loads(text)


def wechat(endpoint, **query):
    """A WeChat API call, as the app's server makes it."""
    return json.loads(call("GET", f"/{endpoint}?{urllib.parse.urlencode(query)}")[1])


def exchange(code):
    return wechat("sns/oauth2/access_token", appid=APP["appId"], secret=APP["appSecret"],
                  code=code, grant_type="authorization_code")


routes = {f"{r['method']} {r['path']}" for r in control("GET", "")["routes"]}
assert {"POST /__fake/consent", "POST /__fake/clock/advance", "DELETE /__fake/faults"} <= routes

control("POST", "apps", APP)
user = control("POST", "users", {"nickname": "Py 小明"})

# 1. a full login: the consent link (parameters in WeChat's order), the user allows, the
#    app's callback gets code and state, its server exchanges the code and reads the profile
query = urllib.parse.urlencode([("appid", APP["appId"]),
                                ("redirect_uri", "https://app.example.com/callback"),
                                ("response_type", "code"), ("scope", "snsapi_userinfo"),
                                ("state", "py1")])
link = f"{FAKE}/connect/oauth2/authorize?{query}#wechat_redirect"
consent = control("POST", "consent", {"url": link, "userId": user["id"], "decision": "allow"})
callback = urllib.parse.urlparse(consent["location"])
params = urllib.parse.parse_qs(callback.query)
assert callback.netloc == "app.example.com" and params["state"] == ["py1"]
token = exchange(params["code"][0])
profile = wechat("sns/userinfo", access_token=token["access_token"], openid=token["openid"], lang="zh_CN")
assert profile["nickname"] == user["nickname"]
assert exchange(params["code"][0])["errcode"] == 40163  # single-use

# 2. a code expires after 5 minutes of the fake's clock
code = control("POST", "authorize", {"appId": APP["appId"], "userId": user["id"],
                                     "scope": "snsapi_base"})["code"]
control("POST", "clock/advance", {"seconds": 300})
expired = exchange(code)

# 3. a fault: the next userinfo call answers -1 (system busy); clearing faults ends it
control("POST", "faults", {"endpoint": "sns/userinfo", "fault": "busy", "times": 5})
busy = wechat("sns/userinfo", access_token=token["access_token"], openid=token["openid"])
control("DELETE", "faults")
after = wechat("sns/userinfo", access_token=token["access_token"], openid=token["openid"])

calls = control("GET", "calls?endpoint=sns/userinfo")["count"]
print(json.dumps({"nickname": profile["nickname"], "expired": expired["errcode"],
                  "busy": busy["errcode"], "after": after["nickname"], "userinfoCalls": calls},
                 ensure_ascii=False))

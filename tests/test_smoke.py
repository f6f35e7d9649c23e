from tests.kiosk_harness import Server


def test_health_answers_and_server_stops_cleanly(tmp_path):
    srv = Server(tmp_path).start()
    try:
        resp = srv.client().get("/api/v1/health")
        assert resp.status == 200
        assert resp.body["status"] == "ok"
    finally:
        assert srv.stop() == 0


def test_the_landing_page_links_every_screen_and_each_answers(tmp_path):
    import re

    srv = Server(tmp_path).start()
    try:
        client = srv.client()
        landing = client.get("/")
        assert landing.status == 200
        links = set(re.findall(rb'href="(/[a-z]*)"', landing.raw))
        expected = {b"/kiosk", b"/join", b"/display", b"/staff", b"/monitor", b"/admin", b"/test"}
        assert expected <= links
        for link in links:
            page = client.get(link.decode())
            assert page.status == 200 and b"<html" in page.raw, link
    finally:
        assert srv.stop() == 0

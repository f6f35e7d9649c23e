from tests.kiosk_harness import Server


def test_health_answers_and_server_stops_cleanly(tmp_path):
    srv = Server(tmp_path).start()
    try:
        resp = srv.client().get("/api/v1/health")
        assert resp.status == 200
        assert resp.body["status"] == "ok"
    finally:
        assert srv.stop() == 0

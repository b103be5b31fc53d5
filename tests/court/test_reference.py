"""Case causes as versioned data with the tags rules key off."""

from __future__ import annotations

from flask.testing import FlaskClient


def _names(reply) -> set[str]:
    return {c["name"] for c in reply.json["items"]}


def test_personal_status_covers_marriage_inheritance_and_status_procedures(
    client: FlaskClient,
) -> None:
    names = _names(client.get("/api/v1/case-causes?tag=personal_status"))
    assert {"婚姻家庭、继承纠纷", "离婚纠纷", "收养关系纠纷", "法定继承纠纷"} <= names
    assert any("宣告失踪" in n for n in names)
    assert "民间借贷纠纷" not in names


def test_simple_civil_commercial_tags_common_disputes_only(client: FlaskClient) -> None:
    causes = client.get("/api/v1/case-causes?tag=simple_civil_commercial").json["items"]
    names = {c["name"] for c in causes}
    assert {"民间借贷纠纷", "买卖合同纠纷"} <= names
    assert all("personal_status" not in c["tags"] for c in causes)
    assert all(c["level"] >= 3 for c in causes)


def test_the_2020_scheme_has_all_first_level_parts(client: FlaskClient) -> None:
    parts = client.get("/api/v1/case-causes?level=1").json["items"]
    assert len(parts) == 11
    assert parts[1]["name"] == "婚姻家庭、继承纠纷"


def test_bad_query_parameters_are_refused(client: FlaskClient) -> None:
    assert client.get("/api/v1/case-causes?level=nine").status_code == 422
    assert client.get("/api/v1/case-causes?colour=red").status_code == 422

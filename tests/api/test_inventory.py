"""Inventory over the API: read for anyone with a role in the domain, write for its domain administrators, through
the model's own rules and with history; another domain's objects are 404 and never listed."""

import pytest

from clusters.models import GroupmaxServer, Node
from tests.fixtures.api import HIDDEN, api_client
from tests.fixtures.runs import pinned_key  # noqa: F401  (the known_hosts form the inventory stores)

pytestmark = pytest.mark.django_db

ENDPOINTS = ("sites", "domains", "servers", "clusters", "nodes")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_viewer_lists_only_the_objects_of_their_domains(api_world, endpoint):
    w = api_world
    body = api_client(w.viewer).get(f"/api/{endpoint}/")
    assert body.status_code == 200
    assert body.json()["count"] >= 1 and HIDDEN not in body.content.decode()


@pytest.mark.parametrize(
    ("endpoint", "hidden"),
    [("domains", "domain"), ("servers", "server"), ("clusters", "cluster"), ("nodes", "node")],
)
def test_another_domains_object_is_404_for_reading_and_writing(api_world, endpoint, hidden):
    w = api_world
    pk = getattr(w.hidden, hidden).pk
    client = api_client(w.admin)
    for answer in (client.get(f"/api/{endpoint}/{pk}/"), client.patch(f"/api/{endpoint}/{pk}/", {}, format="json"),
                   client.delete(f"/api/{endpoint}/{pk}/")):  # fmt: skip
        assert answer.status_code == 404, answer.content
        assert answer.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_server_shows_its_role_mail_server_and_cluster(api_world):
    w = api_world
    server = w.domain.master
    body = api_client(w.viewer).get(f"/api/servers/{server.pk}/").json()
    assert body["role"] == "master" and body["uses_mail_server"] is True and body["cluster"] == w.cluster.pk
    filtered = api_client(w.viewer).get("/api/servers/", {"role": "master", "uses_mail_server": "true"}).json()
    assert [s["id"] for s in filtered["results"]] == [server.pk]


def test_a_node_shows_its_host_key_fingerprint_and_credential_name_never_a_key(api_world):
    w = api_world
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    w.node1.host_key = key
    w.node1.save()
    body = api_client(w.viewer).get(f"/api/nodes/{w.node1.pk}/").json()
    assert body["host_key_fingerprint"] == w.node1.host_key_fingerprint and body["host_key_fingerprint"]
    assert "host_key" not in body and key.split()[1] not in str(body)
    assert body["credential"] == w.node1.credential.name and "key_path" not in str(body)


def test_a_viewer_or_operator_may_not_change_the_inventory(api_world):
    w = api_world
    for user in (w.viewer, w.operator, w.approver):
        answer = api_client(user).patch(f"/api/clusters/{w.cluster.pk}/", {"package_host": "other"}, format="json")
        assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"


def test_a_domain_admin_changes_a_cluster_with_its_history(api_world):
    w = api_world
    client = api_client(w.admin)
    answer = client.patch(f"/api/clusters/{w.cluster.pk}/", {"package_host": "gmaxhost-new"}, format="json",
                          REMOTE_ADDR="198.51.100.7")  # fmt: skip
    assert answer.status_code == 200, answer.content
    record = w.cluster.history.order_by("-history_date").first()
    assert record.package_host == "gmaxhost-new" and record.history_user == w.admin
    assert record.history_address == "198.51.100.7"


def test_the_models_rules_refuse_a_bad_value_naming_the_field(api_world):
    w = api_world
    client = api_client(w.admin)
    shell = client.patch(f"/api/clusters/{w.cluster.pk}/", {"package_host": "x; rm -rf /"}, format="json")
    assert shell.status_code == 400 and shell.json()["detail"].startswith("package_host: ")
    clean = client.patch(f"/api/clusters/{w.cluster.pk}/", {"control_script_path": "/etc/gmax/control.sh"},
                         format="json")  # fmt: skip
    assert clean.status_code == 400 and clean.json()["detail"].startswith("control_script_path: ")
    assert "cmcluster" in clean.json()["detail"]  # the model's clean(), as in the admin
    node = client.patch(f"/api/nodes/{w.node2.pk}/", {"primary_ip": w.node1.primary_ip}, format="json")
    assert node.status_code == 400 and node.json()["detail"].startswith("primary_ip: ")
    second_master = client.post("/api/servers/", {
        "domain": w.domain.pk, "name": "another", "role": "master", "schema_name": "GMAXSCH",
        "host_name": "mailsv9", "ssh_address": "127.0.99.1",
    }, format="json")  # fmt: skip
    assert second_master.status_code == 400 and second_master.json()["detail"].startswith("role: ")


def test_a_domain_admin_adds_a_standalone_server_only_in_their_domain(api_world):
    w = api_world
    body = {"name": "mailsv09", "role": "address", "schema_name": "GMAXSCH", "uses_mail_server": True,
            "host_name": "mailsv09", "ssh_address": "127.0.99.9"}  # fmt: skip
    client = api_client(w.admin)
    elsewhere = client.post("/api/servers/", {**body, "domain": w.hidden.domain.pk}, format="json")
    assert elsewhere.status_code == 400 and elsewhere.json()["detail"].startswith("domain: ")
    assert "does not exist" in elsewhere.json()["detail"]  # the same words as for no such domain at all
    made = client.post("/api/servers/", {**body, "domain": w.domain.pk}, format="json")
    assert made.status_code == 201, made.content
    server = GroupmaxServer.objects.get(pk=made.json()["id"])
    assert server.history.get().history_user == w.admin
    assert api_client(w.operator).post("/api/servers/", {**body, "name": "x"}, format="json").status_code == 400


def test_new_domains_and_clusters_are_for_superusers_as_in_the_admin(api_world):
    w = api_world
    client = api_client(w.admin)
    assert client.post("/api/domains/", {"site": w.domain.site_id, "name": "newdom"}, format="json").status_code == 403
    assert client.post("/api/clusters/", {"name": "newcl"}, format="json").status_code == 403


def test_deleting_what_runs_refer_to_is_a_409_not_a_server_error(api_world):
    w = api_world
    from procedures import services
    from tests.fixtures.runs import console_step, make_plan

    services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)
    answer = api_client(w.admin).delete(f"/api/clusters/{w.cluster.pk}/")
    assert answer.status_code == 409 and answer.json()["code"] == "in_use"
    assert Node.objects.filter(cluster=w.cluster).count() == 2


def test_errors_are_in_the_readers_language(api_world):
    w = api_world
    answer = api_client(w.admin, language="ja").get(f"/api/clusters/{w.hidden.cluster.pk}/")
    assert answer.status_code == 404 and answer.json()["detail"] != "Not found."
    bad = api_client(w.admin, language="ja").patch(f"/api/clusters/{w.cluster.pk}/", {"package_host": "a b"},
                                                    format="json")  # fmt: skip
    assert bad.json()["detail"].startswith("package_host: ") and not bad.json()["detail"].isascii()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_list_costs_the_same_few_queries_however_many_objects(api_world, endpoint, django_assert_max_num_queries):
    from tests.factories import ServerFactory

    w = api_world
    for _extra in range(5):
        ServerFactory(domain=w.domain)
    client = api_client(w.viewer)
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/{endpoint}/").status_code == 200


def test_a_site_reads_for_anyone_with_a_domain_there_and_another_is_404(api_world):
    w = api_world
    client = api_client(w.viewer)
    assert client.get(f"/api/sites/{w.domain.site_id}/").json()["name"] == w.domain.site.name
    assert client.get(f"/api/sites/{w.hidden.domain.site_id}/").status_code == 404
    assert client.post("/api/sites/", {"name": "x"}, format="json").status_code == 405

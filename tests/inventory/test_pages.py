"""What people see of the inventory: only their own domains, and nothing before logging in."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, MasterFactory, ServerFactory


@pytest.fixture
def master(domain):
    return MasterFactory(domain=domain, name="gmaxmaster")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/inventory/", "/inventory/domains/1/", "/inventory/clusters/1/", "/admin/"])
def test_anonymous_users_are_sent_to_the_log_in_page(client, url):
    response = client.get(url, follow=True)
    assert response.redirect_chain, url
    assert (
        response.redirect_chain[-1][0].startswith(reverse("login")) or "/admin/login/" in response.redirect_chain[-1][0]
    )


@pytest.mark.django_db
def test_logging_in_leads_to_the_domain_list(client, operator, master):
    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD}, follow=True)
    assert response.request["PATH_INFO"] == reverse("clusters:domain-list")
    assert master.domain.name in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_is_refused(client, operator):
    response = client.post(reverse("login"), {"username": "operator", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_members_browse_their_domain_servers_clusters_and_nodes(client, viewer, master):
    address = ServerFactory(domain=master.domain, name="addsv01")
    client.force_login(viewer)
    page = client.get(master.domain.get_absolute_url()).content.decode()
    assert "gmaxmaster" in page and "addsv01" in page and master.cluster.package_host in page
    page = client.get(address.cluster.get_absolute_url()).content.decode()
    assert address.cluster.primary.host_name in page and address.cluster.standby.host_name in page
    assert "/dev/vggmax/lvol1" in page
    assert client.get(master.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_users_without_a_role_in_a_domain_see_nothing_of_it(client, outsider, master):
    client.force_login(outsider)
    assert master.domain.name not in client.get(reverse("clusters:domain-list")).content.decode()
    for url in (master.domain.get_absolute_url(), master.get_absolute_url(), master.cluster.get_absolute_url()):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_pages_are_japanese_by_default_and_english_on_request(client, viewer, master):
    client.force_login(viewer)
    assert "アドレス管理ドメイン" in client.get(reverse("clusters:domain-list")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Address-management domains" in client.get(reverse("clusters:domain-list")).content.decode()


@pytest.mark.django_db
def test_an_inventory_change_shows_who_when_from_where_and_before_after(client, master):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)
    client.force_login(admin)
    cluster = master.cluster
    url = reverse("admin:clusters_cluster_change", args=[cluster.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"package_host": "gmaxhost2", "server": ""})
    for prefix in ("filesystems", "nodes"):  # inline forms left out: they stay as they are
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(url, data, REMOTE_ADDR="127.0.0.42")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    page = client.get(cluster.get_absolute_url()).content.decode()
    assert "127.0.0.42" in page and "admin" in page
    assert "gmaxhost2" in page and master.cluster.package_host in page

"""The Kubernetes manifests in deploy/kubernetes/, checked offline: against the Kubernetes schemas, and
against what the server itself reads (its flags, its variables, its drain), since no cluster runs here."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from qovery_job_mcp.config import OPTIONS, Settings, load_settings
from tests.support.constants import ROOT

MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


DOCS = documents()


def container() -> dict[str, Any]:
    [only] = DOCS["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(only)


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_every_manifest_validates_against_the_kubernetes_schema(kind: str) -> None:
    kubernetes_validate.validate(DOCS[kind], KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert set(DOCS) == {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret"}


def test_the_pod_runs_non_root_on_a_read_only_root_filesystem() -> None:
    pod = DOCS["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    security = container()["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"requests", "limits"} <= set(container()["resources"])


def test_probes_use_healthz_on_the_served_port() -> None:
    [port] = container()["ports"]
    assert port["containerPort"] == Settings(transport="http").effective_port
    for probe in ("readinessProbe", "livenessProbe"):
        assert container()[probe]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert DOCS["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]


def test_the_grace_period_outlasts_the_prestop_wait_and_the_drain() -> None:
    pod = DOCS["Deployment"]["spec"]["template"]["spec"]
    pre_stop = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = {e["name"]: e.get("value") for e in container()["env"]}.get("QOVERY_MCP_SHUTDOWN_GRACE")
    drain = float(grace) if grace else Settings().shutdown_grace
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain


def test_the_secret_holds_what_the_deployment_reads_and_the_server_knows() -> None:
    known = {variable for option in OPTIONS for variable in option.variables}
    from_secret = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container()["env"] if "valueFrom" in e
    }
    assert set(from_secret.values()) == set(DOCS["Secret"]["stringData"])
    assert all(name == key for name, key in from_secret.items())
    assert {e["name"] for e in container()["env"]} <= known
    secret_options = {o.variable for o in OPTIONS if o.secret}
    assert set(from_secret) <= secret_options  # secrets come from the Secret, never as plain values


def test_the_container_arguments_are_a_start_the_server_accepts() -> None:
    secrets = DOCS["Secret"]["stringData"]
    env = {e["name"]: e.get("value") or secrets.get(e["name"]) or "x" * 64 for e in container()["env"]}
    settings = load_settings(container()["args"], env)
    assert (settings.transport, settings.host, settings.stateless) == ("http", "0.0.0.0", True)


REDIS = MANIFESTS / "redis"


def redis_documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(REDIS.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found[yaml.safe_load(path.read_text())["kind"]] = yaml.safe_load(path.read_text())
    return found


def test_the_optional_redis_validates_and_is_what_the_secret_points_at() -> None:
    redis = redis_documents()
    assert set(redis) == {"StatefulSet", "Service"}
    for document in redis.values():
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    listed = yaml.safe_load((REDIS / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in REDIS.glob("*.yaml") if p.name != "kustomization.yaml")
    setting = load_settings(
        [],
        {
            "QOVERY_MCP_STATE_STORE": DOCS["Secret"]["stringData"]["QOVERY_MCP_STATE_STORE"],
            "QOVERY_API_KEY": "qov_x",
        },
    ).state_store
    assert setting.kind == "redis"
    assert (
        setting.target
        == f"redis://{redis['Service']['metadata']['name']}:{redis['Service']['spec']['ports'][0]['port']}/0"
    )
    [server] = redis["StatefulSet"]["spec"]["template"]["spec"]["containers"]
    assert (
        server["args"][server["args"].index("--maxmemory-policy") + 1] == "noeviction"
    )  # an evicted lock is lost
    assert server["securityContext"]["readOnlyRootFilesystem"] is True

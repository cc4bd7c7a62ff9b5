"""The Kubernetes manifests in deploy/, checked offline (no cluster here).

Core kinds are validated with kubernetes-validate (strict: unknown fields fail) against the
schemas it ships for K8S_VERSION; KEDA's kinds with jsonschema against the schemas kept in
deploy/schemas/, written from KEDA's documentation. Beyond validity: the pieces fit together
(ScaledObject -> worker Deployment, Service -> API pods, volume -> PVC, Secret keys -> env) and
match the service's own configuration and queue name.
"""

import copy
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared.config import Settings
from shared.messages import JOB_QUEUE

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
K8S_VERSION = "1.33.0"  # a release kubernetes-validate ships schemas for (offline)
KEDA_SCHEMAS = {
    "ScaledObject": "keda-scaledobject.schema.json",
    "TriggerAuthentication": "keda-triggerauthentication.schema.json",
}
NOT_IN_KUSTOMIZATION = {"kustomization.yaml", "secret.example.yaml"}
CLUSTER_SCOPED = {"Namespace"}
SECRET = "storemon-secrets"
# The spec's "Configuration" table (and the README's): what a deployment may set.
SPEC_ENV = {"DATABASE_URL", "AMQP_URL", "REPORTS_DIR", "HOST", "PORT", "API_URL"}

Doc = dict[str, Any]


@cache
def documents() -> tuple[tuple[str, Doc], ...]:
    """Every YAML document in deploy/*.yaml, with its file name."""
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path.name, doc))
    return tuple(found)


def manifests() -> Iterator[Doc]:
    return (doc for _, doc in documents() if doc["kind"] != "Kustomization")


def one(kind: str, component: str | None = None) -> Doc:
    """The single manifest of `kind` (for a component label, if given)."""
    hits = [
        d
        for d in manifests()
        if d["kind"] == kind
        and (
            component is None
            or d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
        )
    ]
    assert len(hits) == 1, f"expected one {kind} {component or ''}, found {len(hits)}"
    return hits[0]


def kustomization() -> Doc:
    (doc,) = [d for name, d in documents() if name == "kustomization.yaml"]
    return doc


def container(workload: Doc) -> Doc:
    (c,) = workload["spec"]["template"]["spec"]["containers"]
    return c


def env_of(c: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in c.get("env", [])}


def resolve_port(c: Doc, port: int | str) -> int:
    """A probe's or Service's port, number or container port name, as a number."""
    if isinstance(port, int):
        return port
    (hit,) = [p["containerPort"] for p in c["ports"] if p.get("name") == port]
    return hit


@cache
def keda_validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((DEPLOY / "schemas" / KEDA_SCHEMAS[kind]).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(doc: Doc) -> None:
    """Raises jsonschema.ValidationError (kubernetes_validate's is a subclass) if invalid."""
    if doc["kind"] in KEDA_SCHEMAS:
        keda_validator(doc["kind"]).validate(doc)
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def env_names_read() -> set[str]:
    """The variable names the service itself reads (shared.config), found by asking it."""
    asked: set[str] = set()

    class Recorder(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
            asked.add(key)
            return default

    Settings.from_env(Recorder())
    return asked


# --- validity -----------------------------------------------------------------------------


def test_keda_schemas_are_valid_json_schemas() -> None:
    for kind in KEDA_SCHEMAS:
        keda_validator(kind)  # check_schema raises SchemaError otherwise


def test_deploy_holds_every_expected_kind() -> None:
    kinds = sorted(d["kind"] for d in manifests())
    assert kinds == sorted(
        [
            "Namespace",
            "Secret",
            "PersistentVolumeClaim",
            "Job",
            "Deployment",
            "Deployment",
            "Service",
            "TriggerAuthentication",
            "ScaledObject",
        ]
    )


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(d, id=f"{n}:{d['kind']}/{d['metadata']['name']}")
        for n, d in documents()
        if d["kind"] != "Kustomization"
    ],
)
def test_every_manifest_is_valid(doc: Doc) -> None:
    validate(doc)


TRIGGER = ("spec", "triggers", 0)
CONTAINER = ("spec", "template", "spec", "containers", 0)
# case: (kind, how to break a copy, where validation must then point)
BROKEN: dict[str, tuple[str, Callable[[Doc], object], tuple[str | int, ...]]] = {
    "scaledobject-unknown-field": (
        "ScaledObject",
        lambda d: d["spec"].update(maxReplicas=20),
        ("spec",),
    ),
    "scaledobject-without-scaletargetref": (
        "ScaledObject",
        lambda d: d["spec"].pop("scaleTargetRef"),
        ("spec",),
    ),
    "scaledobject-unquoted-value": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0]["metadata"].update(value=5),
        (*TRIGGER, "metadata", "value"),
    ),
    "scaledobject-misspelt-mode": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0]["metadata"].update(mode="QueueLenght"),
        (*TRIGGER, "metadata", "mode"),
    ),
    "scaledobject-unknown-rabbitmq-parameter": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0]["metadata"].update(queue="storemon.jobs"),
        (*TRIGGER, "metadata"),
    ),
    "scaledobject-messagerate-over-amqp": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0]["metadata"].update(mode="MessageRate"),
        (*TRIGGER, "metadata", "protocol"),
    ),
    "scaledobject-rabbitmq-without-host": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0].pop("authenticationRef"),
        TRIGGER,
    ),
    "scaledobject-bad-metrictype": (
        "ScaledObject",
        lambda d: d["spec"]["triggers"][0].update(metricType="Average"),
        (*TRIGGER, "metricType"),
    ),
    "triggerauthentication-ref-without-key": (
        "TriggerAuthentication",
        lambda d: d["spec"]["secretTargetRef"][0].pop("key"),
        ("spec", "secretTargetRef", 0),
    ),
    "deployment-replicas-two": (
        "Deployment",
        lambda d: d["spec"].update(replicas="two"),
        ("spec", "replicas"),
    ),
    "deployment-misspelt-container-field": (
        "Deployment",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(livenessprobe={}),
        CONTAINER,
    ),
    "pvc-access-modes-not-a-list": (
        "PersistentVolumeClaim",
        lambda d: d["spec"].update(accessModes="ReadWriteMany"),
        ("spec", "accessModes"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_copy_fails_validation(case: str) -> None:
    kind, breakage, where = BROKEN[case]
    doc = copy.deepcopy(next(d for d in manifests() if d["kind"] == kind))
    validate(doc)  # the original is fine...
    breakage(doc)
    with pytest.raises(jsonschema.ValidationError) as error:
        validate(doc)  # ...the broken copy is not, and for the reason given
    assert tuple(error.value.absolute_path) == where, error.value.message


# --- how the pieces fit -------------------------------------------------------------------


def test_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    k = kustomization()
    listed = set(k["resources"])
    on_disk = {p.name for p in DEPLOY.glob("*.yaml")} - NOT_IN_KUSTOMIZATION
    assert listed == on_disk
    assert "secret.example.yaml" not in listed  # placeholders must never overwrite the real one
    namespace = one("Namespace")["metadata"]["name"]
    assert k["namespace"] == namespace
    for doc in manifests():
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == namespace, doc["metadata"]["name"]


def test_one_image_runs_every_subcommand() -> None:
    workloads = {
        "api": one("Deployment", "api"),
        "worker": one("Deployment", "worker"),
        "migrate": one("Job", "migrate"),
    }
    images = {container(w)["image"] for w in workloads.values()}
    assert len(images) == 1
    (image,) = images
    assert [i["name"] for i in kustomization()["images"]] == [image.split(":")[0]]
    for subcommand, workload in workloads.items():
        c = container(workload)
        assert "command" not in c  # keep the image's entrypoint, `storemon`
        assert c["args"] == [subcommand]


def test_environment_names_are_exactly_the_spec_ones() -> None:
    assert env_names_read() >= SPEC_ENV  # the code still reads every name the spec gives
    api = env_of(container(one("Deployment", "api")))
    worker = env_of(container(one("Deployment", "worker")))
    migrate = env_of(container(one("Job", "migrate")))
    assert set(api) == {"DATABASE_URL", "AMQP_URL", "REPORTS_DIR", "HOST", "PORT"}
    assert set(worker) == {"DATABASE_URL", "AMQP_URL", "REPORTS_DIR"}
    assert set(migrate) == {"DATABASE_URL"}
    assert set(api) | set(worker) | set(migrate) <= SPEC_ENV
    assert (api["HOST"]["value"], api["PORT"]["value"]) == ("0.0.0.0", "8080")
    assert api["REPORTS_DIR"]["value"] == worker["REPORTS_DIR"]["value"] == "/reports"


def test_connection_urls_come_from_the_secret_only() -> None:
    example = one("Secret")
    assert set(example["stringData"]) == {"DATABASE_URL", "AMQP_URL"}
    assert all("CHANGE-ME" in v for v in example["stringData"].values())
    assert example["metadata"]["name"] == SECRET
    for workload in (one("Deployment", "api"), one("Deployment", "worker"), one("Job")):
        for name, entry in env_of(container(workload)).items():
            if name in {"DATABASE_URL", "AMQP_URL"}:
                assert "value" not in entry
                assert entry["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": name}
            else:
                assert "://" not in entry["value"]


def reports_mount(workload: Doc, claim: str) -> Doc:
    """The container's mount of the volume backed by PVC `claim`."""
    pod = workload["spec"]["template"]["spec"]
    (volume,) = [
        v for v in pod["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName") == claim
    ]
    (mount,) = [m for m in container(workload)["volumeMounts"] if m["name"] == volume["name"]]
    return mount


def test_reports_volume_is_read_write_many_and_mounted_at_reports() -> None:
    pvc = one("PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    claim = pvc["metadata"]["name"]
    api_mount = reports_mount(one("Deployment", "api"), claim)
    worker_mount = reports_mount(one("Deployment", "worker"), claim)
    assert api_mount["mountPath"] == worker_mount["mountPath"] == "/reports"
    assert not worker_mount.get("readOnly", False)  # workers write the CSVs


def test_api_deployment_probes_and_service() -> None:
    api = one("Deployment", "api")
    c = container(api)
    assert api["spec"]["replicas"] == 2
    port = int(env_of(c)["PORT"]["value"])
    assert port == 8080
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert resolve_port(c, c[probe]["httpGet"]["port"]) == port

    service = one("Service")
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == 80
    assert resolve_port(c, service_port["targetPort"]) == port
    selector = service["spec"]["selector"].items()
    assert selector <= api["spec"]["template"]["metadata"]["labels"].items()
    worker_labels = one("Deployment", "worker")["spec"]["template"]["metadata"]["labels"]
    assert not selector <= worker_labels.items()  # the Service must not reach the workers


def test_deployments_select_their_own_pods_and_set_resources() -> None:
    for workload in (one("Deployment", "api"), one("Deployment", "worker"), one("Job")):
        template_labels = workload["spec"]["template"]["metadata"]["labels"].items()
        if workload["kind"] == "Deployment":
            assert workload["spec"]["selector"]["matchLabels"].items() <= template_labels
        resources = container(workload)["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"])
        assert "memory" in resources["limits"]


def test_worker_deployment_leaves_time_to_finish_a_report() -> None:
    worker = one("Deployment", "worker")
    assert "replicas" not in worker["spec"]  # KEDA's HPA owns the count
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 120
    assert container(worker)["resources"]["limits"]["memory"] == "512Mi"
    assert "ports" not in container(worker)


def test_scaled_object_scales_the_worker_deployment_on_the_job_queue() -> None:
    worker = one("Deployment", "worker")
    scaled = one("ScaledObject")
    auth = one("TriggerAuthentication")
    target = scaled["spec"]["scaleTargetRef"]
    assert target["name"] == worker["metadata"]["name"]
    assert target.get("kind", "Deployment") == worker["kind"]
    assert target.get("apiVersion", "apps/v1") == worker["apiVersion"]
    namespaces = {d["metadata"]["namespace"] for d in (worker, scaled, auth)}
    assert len(namespaces) == 1
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 20)

    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    meta = trigger["metadata"]
    assert meta["queueName"] == JOB_QUEUE == "storemon.jobs"
    assert (meta["mode"], meta["value"]) == ("QueueLength", "5")
    assert "host" not in meta and "hostFromEnv" not in meta  # credentials stay in the Secret
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert trigger["authenticationRef"].get("kind", "TriggerAuthentication") == auth["kind"]

    # KEDA's host is the very Secret key the workers connect with.
    (ref,) = auth["spec"]["secretTargetRef"]
    worker_amqp = env_of(container(worker))["AMQP_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"parameter": "host", "name": worker_amqp["name"], "key": worker_amqp["key"]}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_builds_the_listed_resources() -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    built = [d for d in yaml.safe_load_all(out) if d]
    names = sorted((d["kind"], d["metadata"]["name"]) for d in built)
    expected = sorted(
        (d["kind"], d["metadata"]["name"]) for d in manifests() if d["kind"] != "Secret"
    )
    assert names == expected
    for doc in built:
        validate(doc)

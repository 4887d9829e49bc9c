import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import generate


def _by_kind(objects):
    out = {}
    for obj in objects:
        out.setdefault(obj["kind"], []).append(obj)
    return out


def test_vsphere_template_matches_eksa():
    objs = _by_kind(generate.cluster_config_objects("mgmt", "vsphere"))
    cluster = objs["Cluster"][0]["spec"]
    assert cluster["controlPlaneConfiguration"]["count"] == 2
    assert cluster["controlPlaneConfiguration"]["endpoint"] == {"host": ""}
    assert cluster["externalEtcdConfiguration"]["count"] == 3
    assert cluster["workerNodeGroupConfigurations"] == [
        {"count": 2, "name": "md-0", "machineGroupRef": {"kind": "VSphereMachineConfig", "name": "mgmt"}}]
    assert cluster["clusterNetwork"]["pods"]["cidrBlocks"] == ["192.168.0.0/16"]
    assert cluster["clusterNetwork"]["services"]["cidrBlocks"] == ["10.96.0.0/12"]
    assert cluster["clusterNetwork"]["cniConfig"] == {"cilium": {}}
    names = [m["metadata"]["name"] for m in objs["VSphereMachineConfig"]]
    assert names == ["mgmt-cp", "mgmt", "mgmt-etcd"]
    for machine in objs["VSphereMachineConfig"]:
        spec = machine["spec"]
        assert (spec["diskGiB"], spec["numCPUs"], spec["memoryMiB"], spec["osFamily"]) == (25, 2, 8192, "bottlerocket")
        assert spec["users"][0]["name"] == "ec2-user"


def test_docker_template_matches_eksa():
    objs = _by_kind(generate.cluster_config_objects("dev", "docker"))
    cluster = objs["Cluster"][0]["spec"]
    assert cluster["controlPlaneConfiguration"] == {"count": 1}
    assert cluster["externalEtcdConfiguration"] == {"count": 1}
    assert cluster["workerNodeGroupConfigurations"] == [{"count": 1, "name": "md-0"}]
    assert objs["DockerDatacenterConfig"][0]["spec"] == {}


def test_yaml_keeps_version_a_string_and_round_trips():
    text = generate.cluster_config_yaml("mgmt", "vsphere", "1.30")
    assert 'kubernetesVersion: "1.30"' in text
    docs = list(yaml.safe_load_all(text))
    assert docs == generate.cluster_config_objects("mgmt", "vsphere", "1.30")


@pytest.mark.parametrize("name,provider,version,fragment", [
    ("1abc", "vsphere", "1.33", "must start with a letter"),
    ("a" * 36, "vsphere", "1.33", "at most 35"),
    ("ok", "tinkerbell", "1.33", "not supported"),
    ("ok", "docker", "1.3x", "MAJOR.MINOR"),
])
def test_bad_arguments(name, provider, version, fragment):
    with pytest.raises(generate.GenerateError, match=fragment):
        generate.cluster_config_objects(name, provider, version)


def _fill(objects):
    for obj in objects:
        spec = obj["spec"]
        if obj["kind"] == "Cluster" and "endpoint" in spec["controlPlaneConfiguration"]:
            spec["controlPlaneConfiguration"]["endpoint"]["host"] = "10.0.0.10"
        if obj["kind"] == "VSphereDatacenterConfig":
            spec.update(server="vcenter.example.com", datacenter="dc1", network="net1")
        if obj["kind"] == "VSphereMachineConfig":
            spec.update(datastore="ds1", folder="/dc1/vm/eksa", resourcePool="*/Resources", template="/dc1/vm/Templates/br")
    return objects


@pytest.mark.parametrize("provider", ["vsphere", "docker"])
def test_generated_template_loads_once_filled(provider):
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec import model as spec_model
    objects = _fill(generate.cluster_config_objects("mgmt", provider))
    normalized = spec_model.load_spec(data=generate.render_yaml(objects))
    assert normalized["provider"] == provider
    assert normalized["cluster"]["metadata"]["name"] == "mgmt"


def test_unfilled_vsphere_template_names_the_blanks():
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec import model as spec_model
    with pytest.raises(spec_model.SpecError) as err:
        spec_model.load_spec(data=generate.cluster_config_yaml("mgmt", "vsphere"))
    text = "\n".join(str(p) for p in err.value.errors)
    assert "endpoint" in text and "datastore" in text

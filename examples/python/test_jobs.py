# python-nomad against nomad-mock:
#   pip install python-nomad pytest
#   NOMAD_ADDR=http://127.0.0.1:4646 pytest examples/python
import os
import time

import nomad


def test_service_job_runs():
    n = nomad.Nomad(address=os.environ.get("NOMAD_ADDR", "http://127.0.0.1:4646"))
    job = {
        "Job": {
            "ID": "web",
            "Datacenters": ["*"],
            "TaskGroups": [
                {
                    "Name": "frontend",
                    "Count": 2,
                    "Tasks": [{"Name": "nginx", "Driver": "docker", "Config": {"image": "nginx:1.27"}}],
                }
            ],
        }
    }
    n.job.register_job("web", job)

    deadline = time.time() + 30
    while time.time() < deadline:
        allocs = n.job.get_allocations("web")
        if len(allocs) == 2 and all(a["ClientStatus"] == "running" for a in allocs):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the allocations did not start")

    n.job.deregister_job("web", purge=True)

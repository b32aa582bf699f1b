// The official Go client against nomad-mock. In a module of your own:
//   go get github.com/hashicorp/nomad/api
//   NOMAD_ADDR=http://127.0.0.1:4646 go test ./...
package example

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

func TestServiceJobRuns(t *testing.T) {
	client, err := api.NewClient(api.DefaultConfig()) // reads NOMAD_ADDR
	if err != nil {
		t.Fatal(err)
	}

	task := api.NewTask("nginx", "docker")
	task.Config = map[string]interface{}{"image": "nginx:1.27"}
	group := api.NewTaskGroup("frontend", 2).AddTask(task)
	job := api.NewServiceJob("web", "web", "global", 50).AddDatacenter("*").AddTaskGroup(group)

	if _, _, err := client.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}

	// A blocking query returns when the allocations change, or after WaitTime.
	var index uint64
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		allocs, meta, err := client.Jobs().Allocations("web", false, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		index = meta.LastIndex
		running := 0
		for _, a := range allocs {
			if a.ClientStatus == api.AllocClientStatusRunning {
				running++
			}
		}
		if running == 2 {
			return
		}
	}
	t.Fatal("the allocations did not start")
}

// The lab's vCenter simulator main, built against govmomi's simulator package.
module eksa.anywhere/lab/vcsim

go 1.22

require github.com/vmware/govmomi v0.46.3

require github.com/google/uuid v1.6.0 // indirect

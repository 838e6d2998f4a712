module github.com/rsmi-go/rsmi

go 1.25.0

module tools

go 1.26

require github.com/hashicorp/terraform-plugin-docs v0.25.0 // indirect

// Package openapi holds the OpenAPI (Swagger 2.0) document of Runnel's REST API, generated from
// proto/runnel/v1 by protoc-gen-openapiv2; the gateway serves it at /openapi.json.
package openapi

import _ "embed"

// JSON is the OpenAPI document.
//
//go:embed runnel.swagger.json
var JSON []byte

{
  "targets": [
    {
      "target_name": "fer_onednn",
      "sources": ["onednn.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -e \"process.stdout.write(process.env.DNNL_ROOT ? process.env.DNNL_ROOT + '/include' : '')\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": [
        "<!(node -e \"process.stdout.write(process.env.DNNL_ROOT ? '-L' + process.env.DNNL_ROOT + '/lib -Wl,-rpath,' + process.env.DNNL_ROOT + '/lib' : '')\")",
        "-ldnnl"
      ],
      "conditions": [
        ["OS=='linux'", { "cflags_cc": ["-fopenmp"], "ldflags": ["-fopenmp"] }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}

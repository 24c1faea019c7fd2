# Runtime for detection: stock mmdet runtime + mmrgbir registration.
_base_ = ['mmdet::_base_/default_runtime.py']
custom_imports = dict(imports=['mmrgbir'], allow_failed_imports=False)
custom_hooks = [dict(type='ParameterReportHook')]

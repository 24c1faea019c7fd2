# Runtime for segmentation and SOD: stock mmseg runtime + mmrgbir registration.
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['mmrgbir'], allow_failed_imports=False)
custom_hooks = [dict(type='ParameterReportHook')]

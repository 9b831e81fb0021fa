"""provider rejections (codespace ``provider``)."""

from vm.errors import make_error

ProviderExists = make_error("ProviderExists", 2, "provider already registered", "provider")
ProviderNotFound = make_error("ProviderNotFound", 3, "provider not found", "provider")
GpuAlreadyRegistered = make_error("GpuAlreadyRegistered", 4, "gpu already registered", "provider")
CollateralTooLow = make_error("CollateralTooLow", 5, "collateral below minimum", "provider")
ProviderNotActive = make_error("ProviderNotActive", 6, "provider is not active", "provider")

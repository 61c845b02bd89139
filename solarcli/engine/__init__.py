"""The solar engine: weather files, production tiers, energy balance, finance,
and the estimate that puts them together. Never imports click; pvlib, numpy and
pandas are imported only inside the functions that model production."""

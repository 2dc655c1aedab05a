"""HealthCode: health codes from shared facts, under Zhejiang notice 省疫情防控办〔2021〕36号."""

__version__ = "0.1.0"

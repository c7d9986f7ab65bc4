"""The portal's views, grouped by what they act on: signing in, a unit (the application and its
appraisal), a district, the province, the rule sets, the administration."""

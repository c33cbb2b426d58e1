from django.urls import path

from bluelamp.business import finance_views

app_name = "finance"
urlpatterns = [
    path("charging/", finance_views.charging, name="charging"),
    path("charging/cost", finance_views.record_cost, name="charging-cost"),
    path("charging/membership", finance_views.change_membership, name="charging-membership"),
    path("charging/statement.csv", finance_views.statement_csv, name="charging-statement"),
]

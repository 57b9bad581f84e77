"""The console's suppliers: applications and their review, suspension and reinstatement (each through
the services, with the reason recorded), the company, return address and bank fields grouped, and
the supplier's timeline."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline, act_on_each

from . import services
from .models import Supplier, SupplierEvent

REVIEW_PERMISSION = "suppliers.review_supplier"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}))


class SupplierEventInline(ReadOnlyInline):
    model = SupplierEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    extra = 0
    ordering = ("created_at", "id")
    verbose_name_plural = _("供应商记录")


@admin.register(Supplier)
class SupplierAdmin(ConsoleAdmin):
    list_display = ("name", "company_name", "status", "category", "contact_name", "contact_phone", "applied_at", "reviewed_at")
    search_fields = ("name", "company_name", "credit_code", "contact_name", "contact_phone")
    list_filter = ("status", "settlement_cycle")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("status", "status_reason", "applied_at", "reviewed_at", "suspended_at", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "user", "status", "status_reason")}),
        (
            _("公司与资质"),
            {"fields": ("company_name", "credit_code", "licence_number", "category", "production_scale", "quality_system")},
        ),
        (_("联系人"), {"fields": ("contact_name", "contact_phone")}),
        (
            _("退货地址"),
            {
                "fields": (
                    "return_receiver",
                    "return_phone",
                    "return_province",
                    "return_city",
                    "return_district",
                    "return_detail",
                )
            },
        ),
        (_("结算与收款"), {"fields": ("settlement_cycle", "bank_account_name", "bank_account_number", "bank_name")}),
        (_("时间"), {"fields": ("applied_at", "reviewed_at", "suspended_at", "created_at")}),
    )
    inlines = [SupplierEventInline]
    actions = ["approve", "reject", "suspend", "reinstate"]

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False  # products, stock and payables refer to it: suspend instead

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name in services.PROFILE_FIELDS or name == "settlement_cycle"]
        if change and changed:  # the timeline says who changed the contact, address or bank account
            bank = any(name in services.BANK_FIELDS for name in changed)
            note = gettext("后台修改：%(fields)s") % {"fields": "、".join(changed)}
            if bank:
                note = gettext("后台修改收款账户（尾号 %(tail)s）：%(fields)s") % {
                    "tail": obj.bank_account_number[-4:],
                    "fields": "、".join(changed),
                }
            services.SUPPLIER_MACHINE.record(obj, obj.status, obj.status, actor=request.user, note=note)

    def _run(self, request, queryset, act, done: str):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            act,
            name=str,
            done_message=lambda n: done % {"n": n},
        )

    def _with_reason(self, request, queryset, act, *, title: str, action: str, done: str):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(request, queryset, lambda supplier: act(supplier.pk, request.user, reason), done)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/suppliers/reason_form.html", context)

    @admin.action(description=_("审核通过"), permissions=["review"])
    def approve(self, request, queryset):
        self._run(request, queryset, lambda s: services.approve(s.pk, request.user), gettext("已通过 %(n)d 个供应商"))

    @admin.action(description=_("审核拒绝（填写原因）"), permissions=["review"])
    def reject(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            services.reject,
            title=gettext("拒绝入驻申请"),
            action="reject",
            done=gettext("已拒绝 %(n)d 个申请"),
        )

    @admin.action(description=_("暂停合作（填写原因）"), permissions=["review"])
    def suspend(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            services.suspend,
            title=gettext("暂停合作"),
            action="suspend",
            done=gettext("已暂停 %(n)d 个供应商"),
        )

    @admin.action(description=_("恢复合作"), permissions=["review"])
    def reinstate(self, request, queryset):
        self._run(request, queryset, lambda s: services.reinstate(s.pk, request.user), gettext("已恢复 %(n)d 个供应商"))

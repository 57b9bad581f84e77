"""factory_boy factories shared by every app's tests."""

import itertools

import factory
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.catalog.models import Category, Product, Sku
from fenxiao.distribution.models import Distributor, Level
from fenxiao.inventory.models import MAIN_LOCATION, StockRecord

_phones = itertools.count(13900000000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.LazyFunction(lambda: str(next(_phones)))
    username = factory.LazyAttribute(lambda o: f"m{o.phone}")
    nickname = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
    phone = None
    username = factory.Sequence(lambda n: f"operator{n}")


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level
        django_get_or_create = ("rank",)

    name = factory.Sequence(lambda n: f"等级{n}")
    rank = 1
    direct_rate_bp = 1000
    indirect_rate_bp = 500


class DistributorFactory(factory.django.DjangoModelFactory):
    """An approved distributor, with its path set after insert like the service does."""

    class Meta:
        model = Distributor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    code = factory.Sequence(lambda n: f"T{n:05d}")
    inviter = None
    level = factory.SubFactory(LevelFactory)
    status = Distributor.Status.APPROVED
    applied_at = factory.LazyFunction(timezone.now)
    approved_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)
    depth = factory.LazyAttribute(lambda o: o.inviter.depth + 1 if o.inviter else 0)

    @factory.post_generation
    def _path(obj, create, extracted, **kwargs):
        if create:
            obj.path = f"{obj.inviter.path if obj.inviter else '/'}{obj.pk}/"
            obj.save(update_fields=["path"])


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"类目{n}")
    slug = factory.Sequence(lambda n: f"cat-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    is_on_shelf = True


class SkuFactory(factory.django.DjangoModelFactory):
    """A SKU with `stock` units (default 100) in the platform warehouse."""

    class Meta:
        model = Sku
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:06d}")
    spec = "标准装"
    cost_fen = 5000
    retail_fen = 15000
    suggested_retail_fen = 15000
    control_fen = 12000

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):
        if create:
            StockRecord.objects.create(sku=obj, location=MAIN_LOCATION, on_hand=100 if extracted is None else extracted)


# A valid mainland shipping address for orders placed by tests (copy it: `dict(ADDRESS)`).
ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 100 号 3 幢 501",
}

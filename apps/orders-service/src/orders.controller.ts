import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  CurrentPrincipal,
  RequireFreshness,
  RequireRecentLogin,
  RequireScopes,
  type Principal,
} from '@tokenfence/revocation-guard';

@Controller('orders')
export class OrdersController {
  @Get()
  @RequireScopes('orders:read')
  list(@CurrentPrincipal() user: Principal): { owner: string; orders: unknown[] } {
    return { owner: user.sub, orders: [] };
  }

  /** Spending money: a write scope, a recent login, and a revocation list at most 5 s old. */
  @Post('checkout')
  @HttpCode(201)
  @RequireScopes('orders:write')
  @RequireRecentLogin(300)
  @RequireFreshness({ maxStalenessMs: 5_000, stalePolicy: 'reject' })
  checkout(@CurrentPrincipal() user: Principal): { owner: string; status: string } {
    return { owner: user.sub, status: 'accepted' };
  }
}
